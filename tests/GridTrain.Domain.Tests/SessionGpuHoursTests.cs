using GridTrain.Domain.Sessions;

namespace GridTrain.Domain.Tests;

/// <summary>A session's GPU-hours: GPUs held × hours held, over every placement, counted up to the time asked.</summary>
public sealed class SessionGpuHoursTests
{
    [Fact]
    public async Task GpuHours_AreGpusTimesHoursHeld_AndStopWhenTheSessionEnds()
    {
        var h = new GridHarness();
        var agent = await h.ConnectAsync("gpu-node", cpuSlots: 0, gpus: 2);
        var session = await h.Grid.CreateSessionAsync(new ResourceRequest(Runtime.Gpu, 2, ""), 0, "", default, owner: "alice");
        await agent.SyncAsync();

        h.Time.Advance(TimeSpan.FromMinutes(90));
        var held = await h.Grid.GetSessionAsync(session.Id, default);
        Assert.Equal(3.0, held.GpuHoursWithin(DateTimeOffset.MinValue, h.Time.GetUtcNow()), 6);

        var ended = await h.Grid.TerminateSessionAsync(session.Id, "done", default);
        h.Time.Advance(TimeSpan.FromHours(5));

        Assert.Equal(3.0, ended.GpuHoursWithin(DateTimeOffset.MinValue, h.Time.GetUtcNow()), 6);
    }

    [Fact]
    public async Task CpuSession_HasNoGpuHours()
    {
        var h = new GridHarness();
        var agent = await h.ConnectAsync("cpu-node");
        var session = await h.Grid.CreateSessionAsync(ResourceRequest.Cpu, 0, "", default, owner: "alice");
        await agent.SyncAsync();
        h.Time.Advance(TimeSpan.FromHours(2));

        var held = await h.Grid.GetSessionAsync(session.Id, default);

        Assert.Equal(0, held.GpuHoursWithin(DateTimeOffset.MinValue, h.Time.GetUtcNow()));
    }
}
