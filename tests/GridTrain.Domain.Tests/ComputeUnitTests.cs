using GridTrain.Domain.Coordination;
using GridTrain.Domain.Quotas;
using GridTrain.Domain.Sessions;
using GridTrain.Domain.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;

namespace GridTrain.Domain.Tests;

/// <summary>Compute units on a driven clock: rates by GPU model and for CPU, the rolling window, the three behaviours when units run out, and no interval charged twice.</summary>
public sealed class ComputeUnitTests
{
    private static readonly ResourceRequest s_h100 = new(Runtime.Gpu, 1, "H100");
    private static readonly ResourceRequest s_t4 = new(Runtime.Gpu, 1, "T4");

    [Fact]
    public async Task Sessions_SpendTheirGpuModelsRate_AndACpuSessionTheCpuRate()
    {
        var h = Harness(new QuotaOptions { Rates = UnitRates.Parse(["cpu=0.5", "H100=6", "T4=1"]) });
        var fast = await h.ConnectAsync("fast", gpus: 1, gpuModel: "NVIDIA H100 80GB HBM3");
        var slow = await h.ConnectAsync("slow", cpuSlots: 1, gpus: 1, gpuModel: "Tesla T4");
        var onH100 = await Create(h, "alice", s_h100);
        var onT4 = await Create(h, "alice", s_t4);
        var cpu = await Create(h, "alice", ResourceRequest.Cpu);
        await fast.SyncAsync();
        await slow.SyncAsync();

        h.Time.Advance(TimeSpan.FromHours(2));

        var usage = await h.Grid.GetQuotaAsync("alice", default);
        Assert.Equal(2 * (6 + 1 + 0.5), usage.UnitsSpent, 6);
        Assert.Equal(7.5, usage.BurnRate, 6);
        var sessions = (await h.Grid.ListSessionsAsync(false, default)).ToDictionary(s => s.Id);
        Assert.Equal(6, sessions[onH100.Id].UnitsPerHour);
        Assert.Equal(1, sessions[onT4.Id].UnitsPerHour);
        Assert.Equal(0.5, sessions[cpu.Id].UnitsPerHour);
        Assert.Equal(12, sessions[onH100.Id].UnitsWithin(DateTimeOffset.MinValue, h.Time.GetUtcNow()), 6);

        await h.Grid.TerminateSessionAsync(onH100.Id, "done", default);
        h.Time.Advance(TimeSpan.FromHours(1));

        usage = await h.Grid.GetQuotaAsync("alice", default);
        Assert.Equal(12 + 3 * 1.5, usage.UnitsSpent, 6);
        Assert.Equal(1.5, usage.BurnRate, 6);
    }

    [Fact]
    public async Task WithoutRates_EveryGpuHourIsOneUnit_CpuIsFree()
    {
        var h = Harness(new QuotaOptions());
        var agent = await h.ConnectAsync("a1", cpuSlots: 1, gpus: 2);
        await Create(h, "alice", new ResourceRequest(Runtime.Gpu, 2));
        await Create(h, "alice", ResourceRequest.Cpu);
        await agent.SyncAsync();

        h.Time.Advance(TimeSpan.FromHours(3));

        var usage = await h.Grid.GetQuotaAsync("alice", default);
        Assert.Equal(6, usage.UnitsSpent, 6);
        Assert.Equal(usage.GpuHours, usage.UnitsSpent, 6);
    }

    [Fact]
    public async Task UnitsUsedUp_Refused_NamingTheLimitAndWhenItFrees_ThenFreeAgainAsTheWindowRollsOff()
    {
        var h = Harness(new QuotaOptions { UnitsPerWindow = 12, Window = TimeSpan.FromHours(24), Rates = UnitRates.Parse(["H100=6"]) });
        var agent = await h.ConnectAsync("fast", gpus: 2, gpuModel: "NVIDIA H100");
        var first = await Create(h, "alice", s_h100);
        await agent.SyncAsync();
        var startedAt = h.Time.GetUtcNow();
        h.Time.Advance(TimeSpan.FromHours(2));
        await h.Grid.TerminateSessionAsync(first.Id, "done", default);

        var error = await Assert.ThrowsAsync<GridException>(() => Create(h, "alice", s_h100));

        Assert.Equal(GridError.ResourceExhausted, error.Error);
        Assert.Contains("compute units: alice spent 12 of 12 in the last 24h", error.Message, StringComparison.Ordinal);
        Assert.Contains($"units free from {startedAt + TimeSpan.FromHours(24):u}", error.Message, StringComparison.Ordinal);
        await Create(h, "bob", s_h100);
        await Create(h, "alice", ResourceRequest.Cpu);

        h.Time.Advance(TimeSpan.FromHours(23));
        Assert.Equal(6, (await h.Grid.GetQuotaAsync("alice", default)).UnitsSpent, 6);
        await Create(h, "alice", s_h100);
    }

    [Fact]
    public async Task CpuRate_MakesCpuSessionsCount_AgainstTheLimit()
    {
        var h = Harness(new QuotaOptions { UnitsPerWindow = 1, Rates = UnitRates.Parse(["cpu=0.5"]) });
        var agent = await h.ConnectAsync("a1", cpuSlots: 2);
        var first = await Create(h, "alice", ResourceRequest.Cpu);
        await agent.SyncAsync();
        h.Time.Advance(TimeSpan.FromHours(2));

        var error = await Assert.ThrowsAsync<GridException>(() => Create(h, "alice", ResourceRequest.Cpu));

        Assert.Contains("compute units: alice spent 1 of 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("burning 0.5/h now", error.Message, StringComparison.Ordinal);
        Assert.Equal(SessionState.Ready, (await h.Grid.GetSessionAsync(first.Id, default)).State);
    }

    [Fact]
    public async Task UnitsUsedUp_WithQueueing_WaitsUntilTheWindowFreesUnits()
    {
        var h = Harness(new QuotaOptions { UnitsPerWindow = 2, Window = TimeSpan.FromHours(4), Exhausted = QuotaExhaustion.Queue });
        var agent = await h.ConnectAsync("a1", gpus: 2);
        var first = await Create(h, "alice", new ResourceRequest(Runtime.Gpu, 1));
        await agent.SyncAsync();
        h.Time.Advance(TimeSpan.FromHours(2));
        await h.Grid.TerminateSessionAsync(first.Id, "done", default);

        var second = await Create(h, "alice", new ResourceRequest(Runtime.Gpu, 1));
        await agent.SyncAsync();
        Assert.Equal(SessionState.Pending, (await h.Grid.GetSessionAsync(second.Id, default)).State);

        h.Time.Advance(TimeSpan.FromHours(3));
        await h.Grid.SweepAsync(default);
        await agent.SyncAsync();

        Assert.Equal(SessionState.Ready, (await h.Grid.GetSessionAsync(second.Id, default)).State);
    }

    [Fact]
    public async Task UnitsUsedUp_WithCpuOnly_AGpuRequestBecomesACpuSession_SayingWhy()
    {
        var h = Harness(new QuotaOptions { UnitsPerWindow = 1, Exhausted = QuotaExhaustion.CpuOnly, Rates = UnitRates.Parse(["cpu=0.1"]) });
        var agent = await h.ConnectAsync("a1", cpuSlots: 2, gpus: 1);
        var first = await Create(h, "alice", new ResourceRequest(Runtime.Gpu, 1));
        await agent.SyncAsync();
        h.Time.Advance(TimeSpan.FromHours(1));
        await h.Grid.TerminateSessionAsync(first.Id, "done", default);

        var fallback = await Create(h, "alice", new ResourceRequest(Runtime.Gpu, 1));
        await agent.SyncAsync();

        var placed = await h.Grid.GetSessionAsync(fallback.Id, default);
        Assert.Equal(Runtime.Cpu, placed.Resources.Runtime);
        Assert.Equal(SessionState.Ready, placed.State);
        Assert.Contains("compute units: alice spent 1 of 1", fallback.StateReason, StringComparison.Ordinal);
        Assert.Contains("created as a CPU session instead", fallback.StateReason, StringComparison.Ordinal);
        Assert.Empty(placed.GpuIndexes);
        Assert.Equal(0.1, placed.UnitsPerHour);
    }

    [Fact]
    public async Task LeaseMovingAgents_ChargesEveryWallClockIntervalOnce_AtEachAgentsRate()
    {
        var h = Harness(new QuotaOptions { Rates = UnitRates.Parse(["H100=6", "A100=4"]) }, agentTimeout: TimeSpan.FromSeconds(10));
        var first = await h.ConnectAsync("fast", gpus: 1, gpuModel: "NVIDIA H100");
        var session = await Create(h, "alice", new ResourceRequest(Runtime.Gpu, 1));
        await first.SyncAsync();
        h.Time.Advance(TimeSpan.FromMinutes(30));
        await first.HeartbeatAsync();

        var second = await h.ConnectAsync("other", gpus: 1, gpuModel: "NVIDIA A100-SXM4-40GB");
        h.Time.Advance(TimeSpan.FromSeconds(11));
        await second.HeartbeatAsync();
        await h.Grid.SweepAsync(default);
        await second.SyncAsync();
        var moved = await h.Grid.GetSessionAsync(session.Id, default);
        Assert.Equal(second.Id, moved.AgentId);
        h.Time.Advance(TimeSpan.FromMinutes(30));

        var spent = (await h.Grid.GetSessionAsync(session.Id, default)).UnitsWithin(DateTimeOffset.MinValue, h.Time.GetUtcNow());
        var onFirst = (TimeSpan.FromMinutes(30) + TimeSpan.FromSeconds(11)).TotalHours * 6;
        Assert.Equal(onFirst + 0.5 * 4, spent, 6);
        Assert.Equal(spent, (await h.Grid.GetQuotaAsync("alice", default)).UnitsSpent, 6);
    }

    [Fact]
    public async Task ControllerRestart_KeepsWhatWasSpent_AndChargesNothingTwice()
    {
        var options = new GridOptions { Quota = new QuotaOptions { Rates = UnitRates.Parse(["H100=6"]) }, AgentTimeout = TimeSpan.FromDays(7) };
        var h = new GridHarness(options);
        var agent = await h.ConnectAsync("fast", gpus: 1, gpuModel: "NVIDIA H100");
        await Create(h, "alice", new ResourceRequest(Runtime.Gpu, 1));
        await agent.SyncAsync();
        h.Time.Advance(TimeSpan.FromHours(1));

        var restarted = new GridCoordinator(h.Store, h.Time, new RandomIdGenerator(), options, NullLogger<GridCoordinator>.Instance, new GridInstruments());
        h.Time.Advance(TimeSpan.FromHours(1));

        Assert.Equal(12, (await restarted.GetQuotaAsync("alice", default)).UnitsSpent, 6);
    }

    private static GridHarness Harness(QuotaOptions quota, TimeSpan? agentTimeout = null) =>
        new(new GridOptions { Quota = quota, AgentTimeout = agentTimeout ?? TimeSpan.FromDays(7) });

    private static Task<Session> Create(GridHarness h, string owner, ResourceRequest resources) =>
        h.Grid.CreateSessionAsync(resources, 0, "", default, owner: owner);
}
