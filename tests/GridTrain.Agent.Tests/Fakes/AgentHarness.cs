using GridTrain.Agent.Connection;
using GridTrain.Agent.Gpu;
using GridTrain.Agent.Hosting;
using GridTrain.Agent.Jobs.Processes;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.Domain.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace GridTrain.Agent.Tests.Fakes;

/// <summary>
/// The agent core as <see cref="AgentServiceCollectionExtensions.AddGridTrainAgent"/> builds it, on a
/// <see cref="FakeTimeProvider"/>, with a <see cref="ScriptedLink"/> for the controller and <see cref="ScriptedJobs"/>
/// for job processes.
/// </summary>
internal sealed class AgentHarness : IAsyncDisposable
{
    /// <summary>How long a test waits for something it expects; only a failing test waits that long.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);

    public static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(20);

    private readonly ServiceProvider _services;
    private readonly CancellationTokenSource _stop = new();
    private Task? _run;

    /// <param name="workDirectory">The agent's work directory; a fresh temporary one when null (deleted on dispose).</param>
    /// <param name="gpus">The machine's GPUs; none when null.</param>
    /// <param name="configure">Further options, applied last.</param>
    public AgentHarness(string? workDirectory = null, IGpuMonitor? gpus = null, Action<AgentOptions>? configure = null)
    {
        OwnsWorkDirectory = workDirectory is null;
        WorkDirectory = workDirectory ?? Directory.CreateTempSubdirectory("gridtrain-agent-core-").FullName;
        Jobs = new ScriptedJobs(Time);
        _services = new ServiceCollection()
            .AddSingleton<TimeProvider>(Time)
            .AddSingleton<IControllerLink>(Link)
            .AddSingleton<IJobLauncher>(Jobs)
            .AddSingleton(gpus ?? new NoGpus())
            .AddGridTrainAgent(options =>
            {
                options.Controller = new Uri("http://controller.invalid:7070");
                options.JoinToken = "join";
                options.Name = "core-test";
                options.WorkDirectory = WorkDirectory;
                options.StopGracePeriod = StopGrace;
                options.ShutdownGracePeriod = ShutdownGrace;
                configure?.Invoke(options);
            })
            .BuildServiceProvider();
        Agent = _services.GetGridAgent();
    }

    public FakeTimeProvider Time { get; } = new();

    public ScriptedLink Link { get; } = new();

    public ScriptedJobs Jobs { get; }

    public GridAgent Agent { get; }

    public string WorkDirectory { get; }

    private bool OwnsWorkDirectory { get; }

    /// <summary>Starts the agent and waits for it to register.</summary>
    public async Task<AgentRegistrationRequest> StartAsync()
    {
        _run = Agent.RunAsync(_stop.Token);
        return await Link.Registrations.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
    }

    /// <summary>Asks the agent to stop (as SIGTERM does) and returns its run, which completes when shutdown has.</summary>
    public Task StopAsync()
    {
        _stop.Cancel();
        return _run ?? Task.CompletedTask;
    }

    /// <summary>The next heartbeat that satisfies <paramref name="match"/>.</summary>
    public async Task<AgentHoldings> HeartbeatAsync(Func<AgentHoldings, bool> match)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        await foreach (var heartbeat in Link.Heartbeats.Reader.ReadAllAsync(timeout.Token))
        {
            if (match(heartbeat))
            {
                return heartbeat;
            }
        }

        throw new InvalidOperationException("the heartbeat channel closed");
    }

    public async Task<(string JobId, long LeaseEpoch, JobResult Result)> NextResultAsync() =>
        await Link.Results.Reader.ReadAsync().AsTask().WaitAsync(Timeout);

    public async Task<ScriptedProcess> NextProcessAsync() => await Jobs.Started.Reader.ReadAsync().AsTask().WaitAsync(Timeout);

    /// <summary>
    /// Heartbeats, asked for one after another, until one satisfies <paramref name="match"/>: for a state the agent
    /// reaches on its own time (a process is announced just before its attempt is recorded).
    /// </summary>
    public async Task<AgentHoldings> PollHeartbeatsAsync(Func<AgentHoldings, bool> match)
    {
        PullHeartbeat();
        return await HeartbeatAsync(heartbeat =>
        {
            if (match(heartbeat))
            {
                return true;
            }

            PullHeartbeat();
            return false;
        });
    }

    /// <summary>Asks for a heartbeat now, as a change inside the agent does.</summary>
    public void PullHeartbeat() => _services.GetRequiredService<HeartbeatTrigger>().Pull();

    public Task SendAsync(AgentDirective command) => Link.Commands.Writer.WriteAsync(command).AsTask();

    public static StartJob Start(string jobId, long epoch, int attempt = 1, string sessionId = "ses-1") =>
        new(jobId, sessionId, epoch, attempt, Spec(), [], null);

    public static JobSpec Spec() => new()
    {
        Model = new ModelSpec { Name = ModelKind.Mlp },
        Data = new DataSpec { Synthetic = new SyntheticDataSpec { TrainExamples = 100 } },
    };

    public async ValueTask DisposeAsync()
    {
        // Whatever the test left running: killed, and the agent's work cancelled, so its run ends without the clock.
        _stop.Cancel();
        Link.Unreachable = false;
        await Agent.DisposeAsync();
        if (_run is not null)
        {
            await _run.WaitAsync(Timeout);
        }

        await _services.DisposeAsync();
        _stop.Dispose();
        if (OwnsWorkDirectory)
        {
            Directory.Delete(WorkDirectory, recursive: true);
        }
    }
}
