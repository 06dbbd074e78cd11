using GridTrain.Agent.Checkpoints;
using GridTrain.Agent.Connection;
using GridTrain.Agent.Gpu.Health;
using GridTrain.Agent.Connection.Tunnels;
using GridTrain.Agent.Hosting;
using GridTrain.Agent.Jobs;
using GridTrain.Agent.Leases;
using GridTrain.Agent.Threading;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;

namespace GridTrain.Agent;

/// <summary>
/// An agent's life: join the controller and stay joined (<see cref="AgentConnection"/>), reconnecting with backoff
/// when it is unreachable and registering again when it has forgotten the agent; run what it assigns
/// (<see cref="JobRunner"/>). On shutdown, stops the job processes and gives what they report until
/// <see cref="AgentOptions.ShutdownGracePeriod"/> to reach the controller; what cannot is saved for the next start.
/// Built only by <see cref="AgentServiceCollectionExtensions.AddGridTrainAgent"/>.
/// </summary>
public sealed partial class GridAgent : IAsyncDisposable
{
    private readonly AgentOptions _options;
    private readonly AgentConnection _connection;
    private readonly LeaseTable _leases;
    private readonly GpuHealthWatch _health;
    private readonly JobRunner _jobs;
    private readonly TunnelDispatcher _tunnels;
    private readonly CheckpointPublisher _checkpoints;
    private readonly TaskGroup _tasks;
    private readonly TimeProvider _time;
    private readonly ILogger<GridAgent> _logger;
    private readonly ResiliencePipeline _reconnect;
    private int _disposed;

    internal GridAgent(
        IOptions<AgentOptions> options,
        AgentConnection connection,
        LeaseTable leases,
        GpuHealthWatch health,
        JobRunner jobs,
        TunnelDispatcher tunnels,
        CheckpointPublisher checkpoints,
        TaskGroup tasks,
        TimeProvider time,
        ILogger<GridAgent> logger)
    {
        _options = options.Value;
        _connection = connection;
        _leases = leases;
        _health = health;
        _jobs = jobs;
        _tunnels = tunnels;
        _checkpoints = checkpoints;
        _tasks = tasks;
        _time = time;
        _logger = logger;
        _reconnect = AgentResilience.Create<ControllerUnreachableException>(
            () => _options.ReconnectCap(_connection.AgentTimeout),
            time,
            _ => true,
            (failure, delay) => LogReconnecting(_logger, _options.Controller!, failure.Status, failure.Detail, delay));
    }

    /// <summary>Checkpoints spooled by jobs and not yet in the store (0 for the local store).</summary>
    public int CheckpointUploadBacklog => _checkpoints.Backlog;

    /// <summary>The id the controller gave this agent; null until registered.</summary>
    public string? AgentId => _connection.AgentId;

    /// <summary>True while registered with the controller and connected; false before, and between a lost connection and the next registration.</summary>
    public bool IsConnected => _connection.IsConnected;

    /// <summary>Each GPU's health now (see <see cref="GpuHealthWatch"/>).</summary>
    public GpuHealthWatch GpuHealth => _health;

    /// <summary>Process ids of the job processes running now, by job id (for diagnostics and tests).</summary>
    public IReadOnlyDictionary<string, int> JobProcesses => _jobs.Attempts.ToDictionary(j => j.JobId, j => j.Process.ProcessId);

    /// <summary>What the agent holds and runs now, for metrics.</summary>
    internal AgentStatus Status() => new(
        [.. _leases.Sessions.Select(s => new HeldSessionStatus(s.SessionId, s.LeaseEpoch, s.GpuIndexes))],
        [.. _jobs.Attempts.Select(j => new RunningJobStatus(j.JobId, j.SessionId, j.LatestProgress))]);

    /// <summary>
    /// Runs until <paramref name="stoppingToken"/> is cancelled, then shuts down: completes within
    /// <see cref="AgentOptions.ShutdownGracePeriod"/> of the cancellation even when the controller is unreachable.
    /// </summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        Directory.CreateDirectory(_options.WorkDirectory);
        _checkpoints.ResumeUploads();
        using var checks = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var healthChecks = Task.CompletedTask;
        try
        {
            // Every GPU is checked before the agent registers, so none is leased unchecked.
            await _health.CheckAsync(stoppingToken);
            healthChecks = _health.RunAsync(checks.Token);
            await _reconnect.ExecuteAsync(_connection.RunAsync, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await checks.CancelAsync();
            await ShutDownAsync();
            try
            {
                await healthChecks;
            }
            catch (OperationCanceledException) when (checks.IsCancellationRequested)
            {
            }
        }
    }

    /// <summary>Stops the job processes and lets their reports go out until the grace ends; then what is left is saved and cancelled.</summary>
    private async Task ShutDownAsync()
    {
        using var grace = new CancellationTokenSource(_options.ShutdownGracePeriod, _time);
        try
        {
            await Task.WhenAll(_jobs.StopAllAsync("agent shutting down"), _tunnels.CloseAllAsync(), _tasks.WhenIdleAsync()).WaitAsync(grace.Token);
        }
        catch (OperationCanceledException) when (grace.IsCancellationRequested)
        {
            LogGraceEnded(_logger, _options.ShutdownGracePeriod, _tasks.Count);
        }

        await _tasks.CancelAsync();
        _jobs.KillAll();
        await _tasks.WhenIdleAsync();
    }

    /// <summary>Kills any job process still running and waits for the agent's background work to end.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _jobs.KillAll();
        await _tasks.DisposeAsync();
    }
}
