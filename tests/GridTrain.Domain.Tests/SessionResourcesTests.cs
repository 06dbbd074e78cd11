using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Agents;
using GridTrain.Domain.Coordination;
using GridTrain.Domain.Sessions;

namespace GridTrain.Domain.Tests;

/// <summary>
/// "View resources": an agent's heartbeat reading (RAM, disk, each GPU) is kept as its latest, and a session sees its
/// own GPUs of it and the agent's RAM and disk, never another session's GPUs. Bad readings are refused naming the field.
/// </summary>
public sealed class SessionResourcesTests
{
    private static readonly ResourceRequest s_oneGpu = new(Runtime.Gpu, 1, "");

    [Fact]
    public async Task Reading_SessionSeesItsOwnGpusOnly_AndTheAgentsRamAndDisk()
    {
        var h = new GridHarness();
        var agent = await h.ConnectAsync("gpu-node", cpuSlots: 0, gpus: 2, gpuModel: "NVIDIA H100 80GB HBM3");
        var mine = await h.Grid.CreateSessionAsync(s_oneGpu, 0, "", default, owner: "alice");
        var theirs = await h.Grid.CreateSessionAsync(s_oneGpu, 0, "", default, owner: "bob");
        await agent.SyncAsync();
        var myGpu = Assert.Single((await h.Grid.SessionResourcesAsync(mine.Id, default)).Gpus).Device.Index;
        var theirGpu = Assert.Single((await h.Grid.SessionResourcesAsync(theirs.Id, default)).Gpus).Device.Index;
        Assert.NotEqual(myGpu, theirGpu);

        await agent.HeartbeatAsync(Reading((myGpu, 0.25), (theirGpu, 0.75)));

        var resources = await h.Grid.SessionResourcesAsync(mine.Id, default);
        Assert.Equal(agent.Id, resources.Agent?.Id);
        Assert.Equal(h.Time.GetUtcNow(), resources.ReadAt);
        var gpu = Assert.Single(resources.Gpus);
        Assert.Equal(myGpu, gpu.Device.Index);
        Assert.Equal("NVIDIA H100 80GB HBM3", gpu.Device.Model);
        Assert.Equal(0.25, gpu.Telemetry?.Utilization);
        Assert.Equal(new SpaceUse(4L << 30, 16L << 30), resources.Memory);
        Assert.Equal(new SpaceUse(10L << 30, 100L << 30), resources.Disk);
        Assert.Equal(0.75, Assert.Single((await h.Grid.SessionResourcesAsync(theirs.Id, default)).Gpus).Telemetry?.Utilization);
    }

    [Fact]
    public async Task SessionHoldingNothing_ShowsNoResources()
    {
        var h = new GridHarness();
        var session = await h.Grid.CreateSessionAsync(s_oneGpu, 0, "", default, owner: "alice");

        var resources = await h.Grid.SessionResourcesAsync(session.Id, default);

        Assert.Null(resources.Agent);
        Assert.Null(resources.ReadAt);
        Assert.Empty(resources.Gpus);
        Assert.Null(resources.Memory);
    }

    [Fact]
    public async Task PlacedBeforeAnyReading_ListsItsGpusFromTheInventory_WithoutTelemetry()
    {
        var h = new GridHarness();
        var agent = await h.ConnectAsync("gpu-node", cpuSlots: 0, gpus: 1);
        var session = await h.Grid.CreateSessionAsync(s_oneGpu, 0, "", default, owner: "alice");
        await agent.SyncAsync();

        var resources = await h.Grid.SessionResourcesAsync(session.Id, default);

        Assert.Null(resources.ReadAt);
        Assert.Null(Assert.Single(resources.Gpus).Telemetry);
        Assert.Equal(24L << 30, resources.Gpus[0].Device.MemoryBytes);
    }

    [Theory]
    [InlineData(1.5, 1L, 2L, "resources.gpus.utilization")]
    [InlineData(0.5, 3L, 2L, "resources.gpus.memory_used_bytes")]
    [InlineData(0.5, 1L, -2L, "resources.gpus.memory_total_bytes")]
    public async Task BadGpuReading_IsRefusedNamingTheField_AndTheLastGoodOneStays(double utilization, long used, long total, string field)
    {
        var h = new GridHarness();
        var agent = await h.ConnectAsync("gpu-node", cpuSlots: 0, gpus: 1);
        var session = await h.Grid.CreateSessionAsync(s_oneGpu, 0, "", default, owner: "alice");
        await agent.SyncAsync();
        await agent.HeartbeatAsync(Reading((0, 0.5)));

        var refused = await Assert.ThrowsAsync<GridException>(() => agent.HeartbeatAsync(new AgentResources(null, null, [new GpuTelemetry(0, utilization, used, total)])));

        Assert.Equal(GridError.InvalidArgument, refused.Error);
        Assert.Contains(field, refused.Message, StringComparison.Ordinal);
        Assert.Equal(0.5, Assert.Single((await h.Grid.SessionResourcesAsync(session.Id, default)).Gpus).Telemetry?.Utilization);
    }

    [Fact]
    public void Validate_NamesEachBadPart()
    {
        var reading = new AgentResources(new SpaceUse(5, 4), new SpaceUse(-1, 10), [new GpuTelemetry(0, 0.1, 1, 2), new GpuTelemetry(0, double.NaN, null, null)]);

        var problems = reading.Validate().ToList();

        Assert.Contains(problems, p => p.StartsWith("resources.memory.used_bytes", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("resources.disk.used_bytes", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("resources.gpus: each GPU index at most once", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("resources.gpus.utilization", StringComparison.Ordinal));
        Assert.Empty(Reading((0, 1.0)).Validate());
    }

    [Fact]
    public async Task Reading_WakesWatchersOfThatAgentsReadings()
    {
        var h = new GridHarness();
        var agent = await h.ConnectAsync("gpu-node", cpuSlots: 0, gpus: 1);
        var woken = h.Grid.Changes.NextChange(ChangeNotifier.AgentResourcesKey(agent.Id));
        var fleet = h.Grid.Changes.NextChange(ChangeNotifier.AnyAgentKey);

        await agent.HeartbeatAsync(Reading((0, 0.5)));

        Assert.True(woken.IsCompleted);
        Assert.False(fleet.IsCompleted, "a reading is not a change of the fleet");
    }

    [Fact]
    public async Task CordonAndRegistration_WakeFleetWatchers()
    {
        var h = new GridHarness();
        var agent = await h.ConnectAsync("node-a");
        var cordoned = h.Grid.Changes.NextChange(ChangeNotifier.AnyAgentKey);

        await h.Grid.CordonAgentAsync(agent.Id, cordon: true, default);
        var registered = h.Grid.Changes.NextChange(ChangeNotifier.AnyAgentKey);
        await h.ConnectAsync("node-b");

        Assert.True(cordoned.IsCompleted);
        Assert.True(registered.IsCompleted);
    }

    private static AgentResources Reading(params (int Index, double Utilization)[] gpus) => new(
        new SpaceUse(4L << 30, 16L << 30),
        new SpaceUse(10L << 30, 100L << 30),
        [.. gpus.Select(g => new GpuTelemetry(g.Index, g.Utilization, 1L << 30, 80L << 30))]);
}
