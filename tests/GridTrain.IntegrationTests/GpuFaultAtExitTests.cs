using System.Net;
using GridTrain.Agent.Gpu.Health;
using GridTrain.Agent.Workspaces;
using GridTrain.Client;
using GridTrain.Controller.Hosting;
using GridTrain.Domain.Coordination;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;
using GridTrain.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace GridTrain.IntegrationTests;

/// <summary>
/// A GPU fault that kills the job's process before any periodic check or heartbeat has seen it (the agent checks
/// hourly here): the agent checks the job's GPUs when its process fails, and the controller takes the failure as the
/// hardware's. With one attempt allowed, an exit code 1 charged to the job would fail it; instead it resumes on the
/// healthy GPU with the attempt not charged.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class GpuFaultAtExitTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("gridtrain-gpu-exit-").FullName;
    private readonly FakeGpuMonitor _gpus = new(
        new Domain.Agents.GpuDevice(0, "GPU-aaaaaaaa-0000-0000-0000-000000000000", "NVIDIA A100", 40L << 30),
        new Domain.Agents.GpuDevice(1, "GPU-bbbbbbbb-1111-1111-1111-111111111111", "NVIDIA A100", 40L << 30));

    private ControllerServer _controller = null!;
    private InProcessAgent _agent = null!;
    private GridTrainClient _client = null!;

    public async Task InitializeAsync()
    {
        _controller = ControllerServer.Create(new IPEndPoint(IPAddress.Loopback, 0), new GridOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(300), MaxJobAttempts = 1 });
        await _controller.StartAsync(CancellationToken.None);
        _client = new GridTrainClient(_controller.Address);
        _agent = InProcessAgent.Start(
            _controller.Address,
            "gpu-node",
            Path.Combine(_root, "agent"),
            options =>
            {
                options.CpuSlots = 0;
                options.ThreadsPerJob = 1;
                options.GpuHealth = new GpuHealthOptions { Interval = TimeSpan.FromHours(1) };
            },
            _gpus);
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        _client.Dispose();
        await _controller.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task ProcessDiesOfAnXid_BeforeAnyCheck_JobResumesOnTheHealthyGpu_NotCharged()
    {
        var job = await _client.Jobs.SubmitJobAsync(new SubmitJobRequest
        {
            Batch = new BatchSession { Resources = new ResourceRequest { Runtime = Runtime.Gpu, GpuCount = 1 } },
            Spec = new JobSpec { Command = new CommandSpec { Argv = { "sh", "-c", "echo started; while [ ! -e crash ]; do sleep 0.05; done; echo 'CUDA error: unspecified launch failure' >&2; exit 1" } } },
        });
        var started = await _client.UntilAsync(job.Id, e => e.Log?.Text == "started");
        var session = await _client.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = job.SessionId });
        var bad = Assert.Single(session.GpuIndexes);
        var uuid = _gpus.Devices[bad].Uuid;

        _gpus.RaiseXid(bad, 79);
        await File.WriteAllTextAsync(Path.Combine(_agent.Services.GetRequiredService<SessionWorkspaces>().PathOf(job.SessionId), "crash"), "");

        var resumed = await _client.UntilAsync(job.Id, e => e.StateChanged?.State == JobState.Running, started[^1].Sequence);
        var requeued = resumed.Last(e => e.StateChanged?.State == JobState.Queued);
        Assert.Contains($"{uuid} Xid 79", requeued.StateChanged.Reason, StringComparison.Ordinal);
        Assert.Contains("the attempt not charged", requeued.StateChanged.Reason, StringComparison.Ordinal);
        var restarted = await _client.Jobs.GetJobAsync(new GetJobRequest { JobId = job.Id });
        Assert.Equal((2, 1), (restarted.Attempt, restarted.UnchargedAttempts));
        Assert.Equal([1 - bad], (await _client.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = job.SessionId })).GpuIndexes);
        var agent = Assert.Single((await _client.Fleet.ListAgentsAsync(new ListAgentsRequest())).Agents);
        Assert.Contains(agent.GpuHealth, g => g.Index == bad && !g.Healthy && g.Reason.StartsWith($"{uuid} Xid 79", StringComparison.Ordinal));

        await _client.Jobs.CancelJobAsync(new CancelJobRequest { JobId = job.Id });
    }
}
