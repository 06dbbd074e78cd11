using System.Diagnostics.Metrics;
using GridTrain.Domain.Agents;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Sessions;
using GridTrain.Domain.Telemetry;

namespace GridTrain.Domain.Tests;

/// <summary>The coordinator's metrics on a driven clock: leases, scheduling latency, evictions by cause, and the state snapshot.</summary>
public sealed class GridTelemetryTests : IDisposable
{
    private readonly GridHarness _h = new(new GridOptions { AgentTimeout = TimeSpan.FromSeconds(10), DefaultIdleTimeout = TimeSpan.FromMinutes(30), EvictionWarning = TimeSpan.FromMinutes(5) });
    private readonly MeterListener _listener = new();
    private readonly List<double> _latencies = [];

    public GridTelemetryTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter == _h.Instruments.Meter && instrument.Name == "gridtrain.scheduling.latency")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
        {
            lock (_latencies)
            {
                _latencies.Add(value);
            }
        });
        _listener.Start();
    }

    public void Dispose()
    {
        _listener.Dispose();
        _h.Instruments.Dispose();
    }

    [Fact]
    public async Task Placement_CountsALease_AndRecordsHowLongTheSessionQueued()
    {
        var agent = await _h.ConnectAsync("a1", cpuSlots: 1);
        var first = await _h.Grid.CreateSessionAsync(ResourceRequest.Cpu, 0, "", default);
        await agent.SyncAsync();
        var second = await _h.Grid.CreateSessionAsync(ResourceRequest.Cpu, 0, "", default);

        _h.Time.Advance(TimeSpan.FromSeconds(7));
        await agent.HeartbeatAsync();
        await _h.Grid.TerminateSessionAsync(first.Id, "done", default);

        Assert.Equal(SessionState.Starting, (await _h.Grid.GetSessionAsync(second.Id, default)).State);
        Assert.Equal(2, _h.Instruments.LeasesGranted);
        Assert.Equal([0.0, 7.0], _latencies);
    }

    [Fact]
    public async Task AgentLost_ItsLeasesExpire()
    {
        var agent = await _h.ConnectAsync("a1", cpuSlots: 2);
        await _h.Grid.CreateSessionAsync(ResourceRequest.Cpu, 0, "", default);
        await _h.Grid.CreateSessionAsync(ResourceRequest.Cpu, 0, "", default);
        await agent.SyncAsync();

        _h.Time.Advance(TimeSpan.FromSeconds(11));
        await _h.Grid.SweepAsync(default);

        Assert.Equal(2, _h.Instruments.LeasesExpired);
        Assert.Equal(2, _h.Instruments.LeasesGranted);
    }

    [Fact]
    public async Task IdleSession_EvictionCountedAsIdle_OtherCausesStayZero()
    {
        var agent = await _h.ConnectAsync("a1");
        await _h.Grid.CreateSessionAsync(ResourceRequest.Cpu, 0, "", default);
        await agent.SyncAsync();

        for (var minute = 0; minute < 31; minute++)
        {
            _h.Time.Advance(TimeSpan.FromMinutes(1));
            await agent.HeartbeatAsync();
            await _h.Grid.SweepAsync(default);
        }

        Assert.Equal(1, _h.Instruments.Evictions(EvictionCause.Idle));
        Assert.All([EvictionCause.Lifetime, EvictionCause.Preempted, EvictionCause.Drain], cause => Assert.Equal(0, _h.Instruments.Evictions(cause)));
    }

    [Fact]
    public async Task Snapshot_CountsStates_AndKeepsTheInstantsGaugesNeed()
    {
        var agent = await _h.ConnectAsync("a1", cpuSlots: 1);
        var busy = await _h.Grid.CreateSessionAsync(ResourceRequest.Cpu, 0, "", default);
        await agent.SyncAsync();
        await _h.Grid.SubmitJobAsync(busy.Id, GridHarness.Spec(), default);
        var start = agent.Receive().OfType<StartJob>().Single();
        _h.Time.Advance(TimeSpan.FromSeconds(3));
        var checkpointAt = _h.Time.GetUtcNow();
        await _h.Grid.ReportJobEventsAsync(agent.Id, start.JobId, start.LeaseEpoch, [new(1, new CheckpointWritten(100, "/ckpt/100"))], default);
        var pending = await _h.Grid.CreateSessionAsync(ResourceRequest.Cpu, 0, "", default);
        await agent.HeartbeatAsync();

        var snapshot = await _h.Grid.SnapshotAsync(default);

        Assert.Equal(1, snapshot.SessionsByState[SessionState.Busy]);
        Assert.Equal(1, snapshot.SessionsByState[SessionState.Pending]);
        Assert.Equal(0, snapshot.SessionsByState[SessionState.Evicted]);
        Assert.Equal(1, snapshot.QueuedSessions);
        Assert.Equal(0, snapshot.QueuedJobs);
        Assert.Equal(1, snapshot.AgentsByState["ready"]);
        var held = snapshot.Sessions.Single(s => s.Id == busy.Id);
        Assert.Equal("a1", held.AgentName);
        Assert.Equal(checkpointAt, held.CheckpointAt);
        Assert.Equal("lifetime", held.EvictionReason);
        Assert.Equal(busy.CreatedAt + new GridOptions().DefaultMaxLifetime, held.ExpiresAt);
        var queued = snapshot.Sessions.Single(s => s.Id == pending.Id);
        Assert.Null(queued.AgentName);
        Assert.Null(queued.EvictionAt);
        var agentSnapshot = Assert.Single(snapshot.Agents);
        Assert.Equal(AgentState.Ready, agentSnapshot.State);
        Assert.Equal(_h.Time.GetUtcNow(), agentSnapshot.LastSeen);
    }
}
