using System.Diagnostics;
using System.Net;
using GridTrain.Agent;
using GridTrain.Agent.Gpu;
using GridTrain.Agent.Gpu.Health;
using GridTrain.Agent.Hosting;
using GridTrain.Agent.Metrics;
using GridTrain.Client;
using GridTrain.Controller.Hosting;
using GridTrain.Domain.Coordination;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;
using GridTrain.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace GridTrain.IntegrationTests;

/// <summary>
/// A GPU fails under a training job, end to end: a real controller on loopback, an agent whose fake NVML injects the
/// fault, and real job processes. The GPU leaves the inventory, the job checkpoints and resumes on the healthy GPU from
/// its checkpoint with its attempt not charged (the grid allows one attempt), and the reason shows in the job, the
/// agent's GPUs (API and CLI) and the metrics. An application Xid changes nothing.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class GpuFaultRecoveryTests : IAsyncLifetime
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly string _root = Directory.CreateTempSubdirectory("gridtrain-gpu-fault-").FullName;
    private readonly CancellationTokenSource _stop = new();
    private readonly FakeGpuMonitor _gpus = new(
        new Domain.Agents.GpuDevice(0, "GPU-aaaaaaaa-0000-0000-0000-000000000000", "NVIDIA A100", 40L << 30),
        new Domain.Agents.GpuDevice(1, "GPU-bbbbbbbb-1111-1111-1111-111111111111", "NVIDIA A100", 40L << 30));

    private ControllerServer _controller = null!;
    private ServiceProvider _agentServices = null!;
    private GridAgent _agent = null!;
    private AgentTelemetryServer _telemetry = null!;
    private GridTrainClient _client = null!;
    private Task _agentRun = Task.CompletedTask;

    public async Task InitializeAsync()
    {
        _controller = ControllerServer.Create(
            new IPEndPoint(IPAddress.Loopback, 0),
            new GridOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(300), MaxJobAttempts = 1 },
            metricsListen: new IPEndPoint(IPAddress.Loopback, 0));
        await _controller.StartAsync(_stop.Token);
        _client = new GridTrainClient(_controller.Address);
        _agentServices = new ServiceCollection()
            .AddSingleton<IGpuMonitor>(_gpus)
            .AddGridTrainAgent(options =>
            {
                options.Controller = _controller.Address;
                options.Name = "gpu-node";
                options.WorkDirectory = Path.Combine(_root, "agent");
                options.CpuSlots = 0;
                options.ThreadsPerJob = 1;
                options.JoinToken = TestCredentials.JoinToken;
                options.GpuHealth = new GpuHealthOptions { Interval = TimeSpan.FromMilliseconds(200) };
            })
            .BuildServiceProvider();
        _agent = _agentServices.GetGridAgent();
        _telemetry = await AgentTelemetryServer.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), _agent, _gpus, TimeProvider.System, null, _stop.Token);
        _agentRun = _agent.RunAsync(_stop.Token);
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _agentRun;
        await _telemetry.DisposeAsync();
        await _agentServices.DisposeAsync();
        _client.Dispose();
        await _controller.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Theory]
    [InlineData("xid", "xid", "Xid 79")]
    [InlineData("ecc", "ecc_uncorrectable", "3 new volatile uncorrectable ECC error(s)")]
    [InlineData("pages", "pages_pending", "rows pending remapping (reset needed)")]
    [InlineData("lost", "lost", "GPU is lost")]
    [InlineData("slowdown", "hw_slowdown", "hardware slowdown (thermal)")]
    public async Task GpuFault_UnderARunningJob_JobMovesWithItsCheckpoint_NotCharged_ReasonVisibleEverywhere(string kind, string cause, string detail)
    {
        var job = await _client.Jobs.SubmitJobAsync(GpuJob());
        var checkpoints = await _client.UntilAsync(job.Id, e => e.KindCase == JobEvent.KindOneofCase.Checkpoint);
        var session = await _client.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = job.SessionId });
        var bad = Assert.Single(session.GpuIndexes);
        var uuid = _gpus.Devices[bad].Uuid;

        Inject(kind, bad);

        var moved = await _client.UntilAsync(job.Id, e => e.StateChanged?.State == JobState.Running && e.Sequence > checkpoints[^1].Sequence);
        var requeued = moved.Last(e => e.StateChanged?.State == JobState.Queued);
        Assert.Contains($"{uuid} {detail}", requeued.StateChanged.Reason, StringComparison.Ordinal);
        var lastCheckpoint = moved.Last(e => e.KindCase == JobEvent.KindOneofCase.Checkpoint && e.Sequence < requeued.Sequence).Checkpoint;
        var restarted = await _client.Jobs.GetJobAsync(new GetJobRequest { JobId = job.Id });
        Assert.Equal(2, restarted.Attempt);
        Assert.Equal(1, restarted.UnchargedAttempts);
        Assert.Equal(lastCheckpoint.Uri, restarted.ResumedFrom);
        Assert.StartsWith($"{uuid} {detail}", Assert.Single(restarted.GpuFaults), StringComparison.Ordinal);
        var now = await _client.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = job.SessionId });
        Assert.Equal([1 - bad], now.GpuIndexes);

        var agent = Assert.Single((await _client.Fleet.ListAgentsAsync(new ListAgentsRequest())).Agents);
        var health = agent.GpuHealth.Single(g => g.Index == bad);
        Assert.False(health.Healthy);
        Assert.Equal(cause, health.Cause);
        Assert.StartsWith($"{uuid} {detail}", health.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(bad, agent.FreeGpuIndexes);

        var gpusOutput = await CliAsync("agent", "gpus", "gpu-node");
        Assert.Contains($"unhealthy ({cause})", gpusOutput, StringComparison.Ordinal);
        Assert.Contains($"{uuid} {detail}", gpusOutput, StringComparison.Ordinal);
        var jobOutput = await CliAsync("job", "get", job.Id);
        Assert.Contains("1 not charged: infrastructure failures", jobOutput, StringComparison.Ordinal);
        Assert.Contains($"{uuid} {detail}", jobOutput, StringComparison.Ordinal);

        var scrape = await Http.GetStringAsync(new Uri(_telemetry.Address, AgentTelemetryServer.MetricsPath));
        Assert.Contains(scrape.Split('\n'), l => l.StartsWith("gridtrain_gpu_healthy{", StringComparison.Ordinal) && l.Contains($"gpu_uuid=\"{uuid}\"", StringComparison.Ordinal) && l.Contains($"cause=\"{cause}\"", StringComparison.Ordinal) && l.EndsWith(" 0", StringComparison.Ordinal));
        Assert.Contains(scrape.Split('\n'), l => l.StartsWith("gridtrain_gpu_healthy{", StringComparison.Ordinal) && l.Contains($"gpu_uuid=\"{_gpus.Devices[1 - bad].Uuid}\"", StringComparison.Ordinal) && l.EndsWith(" 1", StringComparison.Ordinal));
        Assert.Contains(scrape.Split('\n'), l => l.StartsWith("gridtrain_gpu_faults_total{", StringComparison.Ordinal) && l.Contains($"cause=\"{cause}\"", StringComparison.Ordinal) && l.EndsWith(" 1", StringComparison.Ordinal));
        var lint = await Promtool.CheckMetricsAsync(scrape);
        Assert.True(lint.ExitCode == 0 && lint.Output.Length == 0, $"promtool: exit {lint.ExitCode}\n{lint.Output}");

        await _client.Jobs.CancelJobAsync(new CancelJobRequest { JobId = job.Id });
    }

    [Fact]
    public async Task ApplicationXid_OnTheJobsGpu_ChangesNothing()
    {
        var job = await _client.Jobs.SubmitJobAsync(GpuJob());
        await _client.UntilAsync(job.Id, e => e.KindCase == JobEvent.KindOneofCase.Checkpoint);
        var session = await _client.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = job.SessionId });
        var gpu = Assert.Single(session.GpuIndexes);
        var before = _gpus.HealthReads;

        _gpus.RaiseXid(gpu, 43);

        // Two full checks of both GPUs after the event: it has been read and judged.
        await Poll.UntilAsync(ct => Task.FromResult<object?>(_gpus.HealthReads >= before + 4 ? "checked" : null), GridEvents.Timeout, () => "the agent never checked its GPUs again");
        Assert.All(_agent.GpuHealth.Current, g => Assert.True(g.Healthy));
        Assert.Equal(0, _agent.GpuHealth.Faults(Domain.Agents.Health.GpuFaultCause.Xid));
        var current = await _client.Jobs.GetJobAsync(new GetJobRequest { JobId = job.Id });
        Assert.Equal((JobState.Running, 1, 0), (current.State, current.Attempt, current.UnchargedAttempts));
        await _client.Jobs.CancelJobAsync(new CancelJobRequest { JobId = job.Id });
    }

    private static SubmitJobRequest GpuJob() => new()
    {
        Batch = new BatchSession { Resources = new ResourceRequest { Runtime = Runtime.Gpu, GpuCount = 1 } },
        Spec = GridEvents.RecoveryJob(),
    };

    private void Inject(string kind, int index)
    {
        switch (kind)
        {
            case "xid":
                _gpus.RaiseXid(index, 79);
                break;
            case "ecc":
                _gpus.SetUncorrectableEcc(index, 3);
                break;
            case "pages":
                _gpus.SetPending(index, pending: true, remap: true);
                break;
            case "lost":
                _gpus.Lose(index);
                break;
            case "slowdown":
                _gpus.SetSlowdown(index, GpuSlowdown.Thermal);
                break;
        }
    }

    /// <summary>Runs the built <c>gridtrain</c> against the controller; its output, or a failure with it.</summary>
    private async Task<string> CliAsync(params string[] args)
    {
        var start = new ProcessStartInfo(Dotnet.Host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "exec", Path.Combine(AppContext.BaseDirectory, "gridtrain.dll") }.Concat(args).Concat(["--controller", _controller.Address.ToString()]))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(GridEvents.Timeout);
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var errors = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"gridtrain {string.Join(' ', args)} exited {process.ExitCode}: {await errors}");
        return await output;
    }
}
