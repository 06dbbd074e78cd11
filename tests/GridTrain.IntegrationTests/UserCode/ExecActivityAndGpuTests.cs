using System.IO.Pipelines;
using System.Net;
using System.Text;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GridTrain.Client;
using GridTrain.Controller.Hosting;
using GridTrain.Domain.Coordination;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using GpuDevice = GridTrain.Domain.Agents.GpuDevice;

namespace GridTrain.IntegrationTests.UserCode;

/// <summary>
/// A controller on a driven clock and an agent whose fake NVML shows two GPUs: an exec sees exactly its session's GPU,
/// an exec in progress keeps a session from idle eviction while polling another with get does not, and why-idle says
/// what counted.
/// </summary>
public sealed class ExecActivityAndGpuTests : IAsyncLifetime
{
    private static readonly TimeSpan s_idleTimeout = TimeSpan.FromMinutes(10);
    private readonly string _root = Directory.CreateTempSubdirectory("gridtrain-exec-activity-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 5, 8, 0, 0, TimeSpan.Zero));
    private readonly FakeGpuMonitor _gpus = new(
        new GpuDevice(0, "GPU-aaaaaaaa-0000-0000-0000-000000000000", "NVIDIA L4", 24L << 30),
        new GpuDevice(1, "GPU-bbbbbbbb-0000-0000-0000-000000000000", "NVIDIA L4", 24L << 30));

    private ControllerServer _controller = null!;
    private InProcessAgent _agent = null!;
    private GridTrainClient _alice = null!;

    public async Task InitializeAsync()
    {
        _controller = ControllerServer.Create(
            new IPEndPoint(IPAddress.Loopback, 0),
            new GridOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(500), AgentTimeout = TimeSpan.FromDays(7), DefaultIdleTimeout = s_idleTimeout },
            services => services.AddSingleton<TimeProvider>(_time));
        await _controller.StartAsync(CancellationToken.None);
        _alice = new GridTrainClient(_controller.Address, token: await _controller.CreateTokenAsync("alice"));
        _agent = InProcessAgent.Start(_controller.Address, "two-gpu-node", Path.Combine(_root, "agent"), options => options.CpuSlots = 2, _gpus);
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        _alice.Dispose();
        await _controller.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task OneGpuSession_ItsExecSeesExactlyItsGpu()
    {
        var first = await ReadyAsync(Runtime.Gpu);
        var second = await ReadyAsync(Runtime.Gpu);

        string[] seen =
        [
            await OutputAsync(first.Id, "echo $CUDA_VISIBLE_DEVICES/$NVIDIA_VISIBLE_DEVICES"),
            await OutputAsync(second.Id, "echo $CUDA_VISIBLE_DEVICES/$NVIDIA_VISIBLE_DEVICES"),
        ];

        Assert.Equal($"{first.GpuIndexes.Single()}/{first.GpuIndexes.Single()}", seen[0].Trim());
        Assert.Equal($"{second.GpuIndexes.Single()}/{second.GpuIndexes.Single()}", seen[1].Trim());
        Assert.NotEqual(seen[0], seen[1]);
    }

    [Fact]
    public async Task ExecInProgress_KeepsItsSessionFromIdleEviction_WhilePollingAnotherWithGetDoesNot()
    {
        var grid = _controller.Services.GetRequiredService<GridCoordinator>();
        var working = await ReadyAsync(Runtime.Cpu);
        var polled = await ReadyAsync(Runtime.Cpu);
        var stdin = new Pipe();
        var stdout = new SignalingStream("started");
        using var endExec = new CancellationTokenSource();
        var exec = _alice.ExecAsync(
            new ExecStart { SessionId = working.Id, Argv = { "sh", "-c", "echo started; cat > /dev/null; echo done" }, Stdin = true },
            stdin.Reader.AsStream(),
            stdout,
            Stream.Null,
            endExec.Token);
        await stdout.Seen.WaitAsync(GridEvents.Timeout);

        for (var elapsed = TimeSpan.Zero; elapsed <= 2 * s_idleTimeout; elapsed += TimeSpan.FromMinutes(2))
        {
            _time.Advance(TimeSpan.FromMinutes(2));
            await _alice.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = polled.Id });
            await _alice.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = working.Id });
            await _alice.Sessions.ExplainIdlenessAsync(new ExplainIdlenessRequest { SessionId = polled.Id });
            await grid.SweepAsync(CancellationToken.None);
        }

        Assert.Equal(SessionState.Evicted, (await GetAsync(polled.Id)).State);
        Assert.Equal(SessionState.Ready, (await GetAsync(working.Id)).State);
        var busy = await _alice.Sessions.ExplainIdlenessAsync(new ExplainIdlenessRequest { SessionId = working.Id });
        Assert.False(busy.Idle);
        Assert.Contains("exec in progress: the session is in use", busy.Reasons);

        await stdin.Writer.CompleteAsync();
        var exit = await exec.WaitAsync(GridEvents.Timeout);
        Assert.Equal(0, exit.ExitCode);
        _time.Advance(TimeSpan.FromMinutes(3));
        var after = await _alice.Sessions.ExplainIdlenessAsync(new ExplainIdlenessRequest { SessionId = working.Id });
        Assert.Contains("last activity: exec 3m ago", after.Reasons);

        _time.Advance(s_idleTimeout);
        await grid.SweepAsync(CancellationToken.None);
        Assert.Equal(SessionState.Evicted, (await GetAsync(working.Id)).State);
    }

    [Fact]
    public async Task UserCodeOff_ExecIsRefusedSayingSo()
    {
        await using var off = ControllerServer.Create(new IPEndPoint(IPAddress.Loopback, 0), new GridOptions { UserCode = false });
        await off.StartAsync(CancellationToken.None);
        using var client = new GridTrainClient(off.Address, token: await off.CreateTokenAsync("alice"));

        var refused = await Assert.ThrowsAsync<RpcException>(() => client.ExecAsync(new ExecStart { SessionId = "ses-000000000000", Argv = { "ls" } }, null, Stream.Null, Stream.Null));

        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Contains("--user-code off", refused.Status.Detail, StringComparison.Ordinal);
    }

    private async Task<string> OutputAsync(string sessionId, string script)
    {
        var output = new MemoryStream();
        var exit = await _alice.ExecAsync(new ExecStart { SessionId = sessionId, Argv = { "sh", "-c", script } }, null, output, Stream.Null).WaitAsync(GridEvents.Timeout);
        Assert.Equal(0, exit.ExitCode);
        return Encoding.UTF8.GetString(output.ToArray());
    }

    private Task<Session> GetAsync(string sessionId) => _alice.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = sessionId }).ResponseAsync;

    private async Task<Session> ReadyAsync(Runtime runtime)
    {
        var created = await _alice.Sessions.CreateSessionAsync(new CreateSessionRequest
        {
            Resources = new ResourceRequest { Runtime = runtime, GpuCount = runtime == Runtime.Gpu ? 1 : 0 },
            IdleTimeout = Duration.FromTimeSpan(s_idleTimeout),
        });
        return await Poll.UntilAsync(
            async ct => await GetAsync(created.Id).WaitAsync(ct) is { State: SessionState.Ready } ready ? ready : null,
            GridEvents.Timeout,
            () => $"session {created.Id} is not READY");
    }
}
