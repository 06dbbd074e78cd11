using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.Domain.Quotas;
using GridTrain.Domain.Sessions;

namespace GridTrain.Domain.Tests;

/// <summary>Per-user GPU quotas on a driven clock: concurrent GPUs and GPU-hours in a rolling window.</summary>
public sealed class QuotaTests
{
    private static readonly ResourceRequest s_oneGpu = new(Runtime.Gpu, 1);

    [Fact]
    public async Task ConcurrentGpus_OverLimit_RefusedSayingWhichLimitAndWhenItFrees_OtherUsersUnaffected()
    {
        var h = Harness(new QuotaOptions { MaxConcurrentGpus = 2 });
        var agent = await h.ConnectAsync("a1", gpus: 4);
        await Create(h, "alice");
        await Create(h, "alice");
        await agent.SyncAsync();

        var error = await Assert.ThrowsAsync<GridException>(() => Create(h, "alice"));

        Assert.Equal(GridError.ResourceExhausted, error.Error);
        Assert.Contains("concurrent GPUs: alice holds 2 of 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("frees when one of your sessions ends", error.Message, StringComparison.Ordinal);
        await Create(h, "bob");
    }

    [Fact]
    public async Task GpuHours_UsedUpInTheWindow_RefusedUntilTheUseLeavesTheWindow()
    {
        var h = Harness(new QuotaOptions { GpuHoursPerWindow = 2, Window = TimeSpan.FromHours(24) });
        var agent = await h.ConnectAsync("a1", gpus: 2);
        var session = await Create(h, "alice");
        await agent.SyncAsync();
        h.Time.Advance(TimeSpan.FromHours(2));
        await h.Grid.TerminateSessionAsync(session.Id, "done", default);

        var usage = await h.Grid.GetQuotaAsync("alice", default);
        Assert.Equal(2.0, usage.GpuHours, 6);
        var error = await Assert.ThrowsAsync<GridException>(() => Create(h, "alice"));
        Assert.Contains("GPU-hours: alice used 2 of 2 in the last 24h", error.Message, StringComparison.Ordinal);

        h.Time.Advance(TimeSpan.FromHours(23));
        Assert.Equal(1.0, (await h.Grid.GetQuotaAsync("alice", default)).GpuHours, 6);
        await Create(h, "alice");
    }

    [Fact]
    public async Task OverQuota_WithQueueing_WaitsThenPlacedWhenUseFrees()
    {
        var h = Harness(new QuotaOptions { MaxConcurrentGpus = 1, Exhausted = QuotaExhaustion.Queue });
        var agent = await h.ConnectAsync("a1", gpus: 4);
        var first = await Create(h, "alice");
        var second = await Create(h, "alice");
        await agent.SyncAsync();
        Assert.Equal(SessionState.Pending, (await h.Grid.ListSessionsAsync(false, default)).Single(s => s.Id == second.Id).State);

        await h.Grid.TerminateSessionAsync(first.Id, "done", default);

        Assert.Equal(SessionState.Starting, (await h.Grid.ListSessionsAsync(false, default)).Single(s => s.Id == second.Id).State);
    }

    private static GridHarness Harness(QuotaOptions quota) => new(new GridOptions { Quota = quota, AgentTimeout = TimeSpan.FromDays(7) });

    private static Task<Session> Create(GridHarness h, string owner) =>
        h.Grid.CreateSessionAsync(s_oneGpu, 0, "", default, owner: owner);
}
