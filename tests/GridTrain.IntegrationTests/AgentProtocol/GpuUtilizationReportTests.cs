using GridTrain.Agent.Gpu;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Testing;
using GridTrain.Protos.V1;

namespace GridTrain.IntegrationTests.AgentProtocol;

/// <summary>
/// Heartbeats carry each GPU session's mean GPU utilization, read from NVML (here <see cref="FakeGpuMonitor"/>), which
/// the controller's GPU stall detection works from; sessions without GPUs, or with a GPU that cannot be read, carry none.
/// </summary>
public sealed class GpuUtilizationReportTests : IAsyncLifetime
{
    private readonly FakeGpuMonitor _gpus = new(
        new Domain.Agents.GpuDevice(0, "GPU-aaaaaaaa-0000-0000-0000-000000000000", "NVIDIA L4", 24L << 30),
        new Domain.Agents.GpuDevice(1, "GPU-bbbbbbbb-0000-0000-0000-000000000000", "NVIDIA L4", 24L << 30),
        new Domain.Agents.GpuDevice(2, "GPU-cccccccc-0000-0000-0000-000000000000", "NVIDIA L4", 24L << 30));

    private ScriptedAgent _grid = null!;

    public async Task InitializeAsync() => _grid = await ScriptedAgent.StartAsync("gpu-node", _gpus);

    public async Task DisposeAsync() => await _grid.DisposeAsync();

    [Fact]
    public async Task EachGpuSession_ReportsItsGpusMeanUtilization()
    {
        _gpus.Set(0, new GpuReading(0.02, 1L << 30, 24L << 30, 40, 30));
        _gpus.Set(1, new GpuReading(0.90, 20L << 30, 24L << 30, 70, 250));
        _gpus.Set(2, new GpuReading(null, 1L << 30, 24L << 30, 40, 30));
        await Assign("ses-two-gpus", 0, 1);
        await Assign("ses-unreadable", 2);
        await Assign("ses-cpu");

        var heartbeat = await _grid.Controller.HeartbeatAsync(h => h.Sessions.Count == 3);

        var twoGpus = heartbeat.Sessions.Single(s => s.SessionId == "ses-two-gpus");
        Assert.True(twoGpus.HasGpuUtilization);
        Assert.Equal(0.46, twoGpus.GpuUtilization, precision: 6);
        Assert.False(heartbeat.Sessions.Single(s => s.SessionId == "ses-unreadable").HasGpuUtilization);
        Assert.False(heartbeat.Sessions.Single(s => s.SessionId == "ses-cpu").HasGpuUtilization);
    }

    private Task Assign(string sessionId, params int[] gpuIndexes) =>
        _grid.Controller.Commands.Writer.WriteAsync(new AgentCommand { AssignSession = new AssignSession { SessionId = sessionId, LeaseEpoch = 1, GpuIndexes = { gpuIndexes } } }).AsTask();
}
