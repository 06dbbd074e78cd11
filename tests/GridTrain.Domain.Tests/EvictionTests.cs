using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Sessions;

namespace GridTrain.Domain.Tests;

/// <summary>Colab session semantics on a driven clock: idle eviction, lifetime, warnings, checkpoint-then-evict, resume.</summary>
public sealed class EvictionTests
{
    private static readonly GridOptions s_options = new()
    {
        DefaultIdleTimeout = TimeSpan.FromMinutes(90),
        DefaultMaxLifetime = TimeSpan.FromHours(12),
        EvictionWarning = TimeSpan.FromMinutes(5),
        EvictionGrace = TimeSpan.FromMinutes(2),
        AgentTimeout = TimeSpan.FromDays(2),
    };

    private readonly GridHarness _h = new(s_options);

    [Fact]
    public async Task IdleSession_WarnedThenEvicted_AndItsSlotGoesToAQueuedSession()
    {
        var agent = await _h.ConnectAsync("a1", cpuSlots: 1);
        var idle = await _h.Grid.CreateSessionAsync(ResourceRequest.Cpu, 0, "", default, idleTimeout: TimeSpan.FromMinutes(30));
        await agent.SyncAsync();
        var waiting = await _h.Grid.CreateSessionAsync(ResourceRequest.Cpu, 0, "", default);
        Assert.Equal(SessionState.Pending, (await Session(waiting.Id)).State);

        await AdvanceAsync(agent, TimeSpan.FromMinutes(26));
        var warning = (await _h.Grid.ReadSessionChangesAsync(idle.Id, 0, default)).Last();
        Assert.Equal(SessionChangeKind.EvictionWarning, warning.Kind);
        Assert.Equal(idle.CreatedAt + TimeSpan.FromMinutes(30), warning.EvictionDeadline);
        Assert.Equal(SessionState.Ready, (await Session(idle.Id)).State);

        await AdvanceAsync(agent, TimeSpan.FromMinutes(4));

        var evicted = await Session(idle.Id);
        Assert.Equal(SessionState.Evicted, evicted.State);
        Assert.Contains("idle", evicted.StateReason, StringComparison.Ordinal);
        Assert.Equal(SessionState.Starting, (await Session(waiting.Id)).State);
    }

    [Fact]
    public async Task ClientActivity_PostponesIdleEviction()
    {
        var agent = await _h.ConnectAsync("a1");
        var session = await _h.Grid.CreateSessionAsync(ResourceRequest.Cpu, 0, "", default, idleTimeout: TimeSpan.FromMinutes(30));
        await agent.SyncAsync();

        await AdvanceAsync(agent, TimeSpan.FromMinutes(20));
        await _h.Grid.KeepAliveAsync(session.Id, default);
        await AdvanceAsync(agent, TimeSpan.FromMinutes(20));

        Assert.Equal(SessionState.Ready, (await Session(session.Id)).State);
        var why = await _h.Grid.ExplainIdlenessAsync(session.Id, default);
        Assert.False(why.Idle);
        Assert.Equal("idle", why.EvictionReason);
        Assert.Equal(_h.Time.GetUtcNow() + TimeSpan.FromMinutes(10), why.EvictionAt);
    }

    [Fact]
    public async Task RunningJob_IsNeverIdle_ExplainSaysWhy()
    {
        var (agent, start) = await RunningJobAsync();

        await AdvanceAsync(agent, TimeSpan.FromHours(3));

        Assert.Equal(SessionState.Busy, (await Session(start.SessionId)).State);
        var why = await _h.Grid.ExplainIdlenessAsync(start.SessionId, default);
        Assert.False(why.Idle);
        Assert.Contains($"job {start.JobId} is running", why.Reasons);
        Assert.Equal("lifetime", why.EvictionReason);
    }

    [Fact]
    public async Task Lifetime_RunningJobCheckpointsFirst_ThenSessionEvicted_AndResumeContinuesFromThatCheckpoint()
    {
        var (agent, start) = await RunningJobAsync(maxLifetime: TimeSpan.FromHours(1));
        await _h.Grid.ReportJobEventsAsync(agent.Id, start.JobId, start.LeaseEpoch, [new(1, new CheckpointWritten(100, "/ckpt/100"))], default);

        await AdvanceAsync(agent, TimeSpan.FromHours(1));

        var stop = Assert.Single(agent.Receive().OfType<CancelJob>());
        Assert.Contains("checkpoint and stop", stop.Reason, StringComparison.Ordinal);
        Assert.Equal(SessionState.Busy, (await Session(start.SessionId)).State);

        // The job process checkpoints on SIGTERM and exits; the agent reports the checkpoint, then the stop.
        await _h.Grid.ReportJobEventsAsync(agent.Id, start.JobId, start.LeaseEpoch, [new(2, new CheckpointWritten(137, "/ckpt/137"))], default);
        await agent.FinishAsync(start, JobResult.Cancelled("session evicted"));

        var evicted = await Session(start.SessionId);
        Assert.Equal(SessionState.Evicted, evicted.State);
        Assert.Contains(agent.Receive(), c => c is ReleaseSession);
        var job = await _h.Grid.GetJobAsync(start.JobId, default);
        Assert.Equal(JobState.Queued, job.State);

        var resumed = await _h.Grid.ResumeSessionAsync(start.SessionId, default);
        Assert.Equal(SessionState.Starting, (await Session(start.SessionId)).State);
        var restart = (await agent.SyncAsync()).OfType<StartJob>().Single();
        Assert.Equal("/ckpt/137", restart.ResumeFrom);
        Assert.Equal(resumed.LeaseEpoch + 1, restart.LeaseEpoch);
        Assert.Equal(_h.Time.GetUtcNow() + TimeSpan.FromHours(1), (await Session(start.SessionId)).ExpiresAt);
    }

    [Fact]
    public async Task Eviction_JobSilentPastGrace_EvictedAnyway()
    {
        var (agent, start) = await RunningJobAsync(maxLifetime: TimeSpan.FromHours(1));

        await AdvanceAsync(agent, TimeSpan.FromHours(1));
        Assert.Equal(SessionState.Busy, (await Session(start.SessionId)).State);
        await AdvanceAsync(agent, TimeSpan.FromMinutes(2));

        var evicted = await Session(start.SessionId);
        Assert.Equal(SessionState.Evicted, evicted.State);
        Assert.Contains("did not confirm a checkpoint", evicted.StateReason, StringComparison.Ordinal);
        Assert.Equal(JobState.Queued, (await _h.Grid.GetJobAsync(start.JobId, default)).State);
    }

    [Fact]
    public async Task Timeouts_OutsideAdminBounds_RefusedNamingTheField()
    {
        var error = await Assert.ThrowsAsync<GridException>(() => _h.Grid.CreateSessionAsync(ResourceRequest.Cpu, 0, "", default, idleTimeout: TimeSpan.FromDays(3)));
        Assert.Equal(GridError.InvalidArgument, error.Error);
        Assert.StartsWith("idle_timeout: must be between 1m and 1.00:00:00", error.Message, StringComparison.Ordinal);

        error = await Assert.ThrowsAsync<GridException>(() => _h.Grid.CreateSessionAsync(ResourceRequest.Cpu, 0, "", default, maxLifetime: TimeSpan.FromSeconds(5)));
        Assert.StartsWith("max_lifetime:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resume_SessionNotEvicted_FailedPrecondition()
    {
        var session = await _h.Grid.CreateSessionAsync(ResourceRequest.Cpu, 0, "", default);

        var error = await Assert.ThrowsAsync<GridException>(() => _h.Grid.ResumeSessionAsync(session.Id, default));

        Assert.Equal(GridError.FailedPrecondition, error.Error);
    }

    [Fact]
    public async Task Cordon_NoNewSessions_UntilLifted()
    {
        var agent = await _h.ConnectAsync("a1");
        await _h.Grid.CordonAgentAsync(agent.Id, cordon: true, default);

        var session = await _h.Grid.CreateSessionAsync(ResourceRequest.Cpu, 0, "", default);
        Assert.Equal(SessionState.Pending, (await Session(session.Id)).State);

        var view = await _h.Grid.CordonAgentAsync(agent.Id, cordon: false, default);
        Assert.False(view.Agent.Cordoned);
        Assert.Equal(SessionState.Starting, (await Session(session.Id)).State);
    }

    [Fact]
    public async Task Drain_JobCheckpointsAndMoves_ResumingOnAnotherAgent()
    {
        var (drained, start) = await RunningJobAsync();
        await _h.Grid.ReportJobEventsAsync(drained.Id, start.JobId, start.LeaseEpoch, [new(1, new CheckpointWritten(40, "/ckpt/40"))], default);
        var other = await _h.ConnectAsync("a2");

        var view = await _h.Grid.DrainAgentAsync(drained.Id, TimeSpan.FromMinutes(5), default);

        Assert.True(view.Agent.Cordoned);
        Assert.Contains(drained.Receive(), c => c is CancelJob);
        await _h.Grid.ReportJobEventsAsync(drained.Id, start.JobId, start.LeaseEpoch, [new(2, new CheckpointWritten(57, "/ckpt/57"))], default);
        await drained.FinishAsync(start, JobResult.Cancelled("draining"));

        var restart = (await other.SyncAsync()).OfType<StartJob>().Single();
        Assert.Equal(start.JobId, restart.JobId);
        Assert.Equal("/ckpt/57", restart.ResumeFrom);
        Assert.Equal(other.Id, (await Session(start.SessionId)).AgentId);
    }

    [Fact]
    public async Task Drain_JobSilentPastDeadline_MovesAnywayFromItsLatestCheckpoint()
    {
        var (drained, start) = await RunningJobAsync();
        await _h.Grid.ReportJobEventsAsync(drained.Id, start.JobId, start.LeaseEpoch, [new(1, new CheckpointWritten(40, "/ckpt/40"))], default);
        var other = await _h.ConnectAsync("a2");
        await _h.Grid.DrainAgentAsync(drained.Id, TimeSpan.FromMinutes(3), default);

        await AdvanceAsync(other, TimeSpan.FromMinutes(3));

        var restart = (await other.SyncAsync()).OfType<StartJob>().Single();
        Assert.Equal("/ckpt/40", restart.ResumeFrom);
    }

    [Fact]
    public async Task StalledJob_NoProgressPastTheStallTimeout_SessionCountsAsIdleAndIsEvicted()
    {
        var h = new GridHarness(new GridOptions { AgentTimeout = TimeSpan.FromDays(2), StallTimeout = TimeSpan.FromMinutes(10), DefaultIdleTimeout = TimeSpan.FromMinutes(30) });
        var agent = await h.ConnectAsync("a1");
        var session = await h.Grid.CreateSessionAsync(ResourceRequest.Cpu, 0, "", default);
        await agent.SyncAsync();
        await h.Grid.SubmitJobAsync(session.Id, GridHarness.Spec(), default);
        var start = agent.Receive().OfType<StartJob>().Single();
        await h.Grid.ReportJobEventsAsync(agent.Id, start.JobId, start.LeaseEpoch, [new(1, new ProgressReported(5, 100, 1, 1.0, 10, 60))], default);

        h.Time.Advance(TimeSpan.FromMinutes(15));
        var why = await h.Grid.ExplainIdlenessAsync(session.Id, default);
        Assert.Contains(why.Reasons, r => r.StartsWith($"job {start.JobId} is stalled: no progress for 15m", StringComparison.Ordinal));
        Assert.False(why.Idle);
        Assert.Equal(h.Time.GetUtcNow() + TimeSpan.FromMinutes(25), why.EvictionAt);

        h.Time.Advance(TimeSpan.FromMinutes(25));
        await agent.HeartbeatAsync();
        await h.Grid.SweepAsync(default);

        Assert.Contains(agent.Receive(), c => c is CancelJob cancel && cancel.JobId == start.JobId);
    }

    [Fact]
    public async Task JobWhoseGpusStayBelowTheThreshold_IsStalled_AndItsSessionEvictedAsIdle()
    {
        var h = new GridHarness(new GridOptions { AgentTimeout = TimeSpan.FromDays(2), StallTimeout = TimeSpan.FromMinutes(10), GpuStallThreshold = 0.05, DefaultIdleTimeout = TimeSpan.FromMinutes(30) });
        var (agent, session) = await GpuSessionAsync(h);
        await h.Grid.SubmitJobAsync(session.Id, GridHarness.Spec(), default);
        var start = agent.Receive().OfType<StartJob>().Single();

        // The loop keeps reporting progress (a notebook cell spinning on CPU) while its GPU idles; one busy reading restarts the window.
        var step = 0L;
        async Task MinuteAsync(double utilization)
        {
            h.Time.Advance(TimeSpan.FromMinutes(1));
            step++;
            await h.Grid.ReportJobEventsAsync(agent.Id, start.JobId, start.LeaseEpoch, [new(step, new ProgressReported(step, 100, 1, 1.0, 10, 60))], default);
            await agent.HeartbeatAsync(utilization);
            await h.Grid.SweepAsync(default);
        }

        for (var i = 0; i < 8; i++)
        {
            await MinuteAsync(0.01);
        }

        await MinuteAsync(0.60);
        var lowSince = h.Time.GetUtcNow() + TimeSpan.FromMinutes(1);
        for (var i = 0; i < 12; i++)
        {
            await MinuteAsync(0.02);
        }

        var why = await h.Grid.ExplainIdlenessAsync(session.Id, default);
        Assert.Contains(why.Reasons, r => r.StartsWith($"job {start.JobId} is stalled: its GPUs have stayed below 5% utilization for 11m", StringComparison.Ordinal));
        Assert.DoesNotContain(why.Reasons, r => r == $"job {start.JobId} is running");
        Assert.False(why.Idle);
        Assert.Equal(lowSince + TimeSpan.FromMinutes(10) + TimeSpan.FromMinutes(30), why.EvictionAt);
        Assert.Empty(agent.Receive().OfType<CancelJob>());

        while (h.Time.GetUtcNow() < why.EvictionAt)
        {
            await MinuteAsync(0.02);
        }

        Assert.Contains(agent.Receive(), c => c is CancelJob cancel && cancel.JobId == start.JobId);
    }

    [Fact]
    public async Task GpuIdleBeforeTheJobStarted_DoesNotCountAgainstTheJob()
    {
        var h = new GridHarness(new GridOptions { AgentTimeout = TimeSpan.FromDays(2), StallTimeout = TimeSpan.FromMinutes(10), GpuStallThreshold = 0.05, DefaultIdleTimeout = TimeSpan.FromMinutes(60) });
        var (agent, session) = await GpuSessionAsync(h);
        for (var minute = 0; minute < 30; minute++)
        {
            h.Time.Advance(TimeSpan.FromMinutes(1));
            await agent.HeartbeatAsync(0.0);
        }

        await h.Grid.SubmitJobAsync(session.Id, GridHarness.Spec(), default);
        var start = agent.Receive().OfType<StartJob>().Single();
        // The loop reports progress, so only the GPU reading can make it stalled.
        async Task<Eviction.IdleExplanation> AfterAsync(int minutes, long step)
        {
            h.Time.Advance(TimeSpan.FromMinutes(minutes));
            await h.Grid.ReportJobEventsAsync(agent.Id, start.JobId, start.LeaseEpoch, [new(step, new ProgressReported(step, 100, 1, 1.0, 10, 60))], default);
            await agent.HeartbeatAsync(0.0);
            return await h.Grid.ExplainIdlenessAsync(session.Id, default);
        }

        var warmingUp = await AfterAsync(4, 1);
        var stalled = await AfterAsync(7, 2);

        Assert.Contains($"job {start.JobId} is running", warmingUp.Reasons);
        Assert.Contains(stalled.Reasons, r => r.StartsWith($"job {start.JobId} is stalled: its GPUs have stayed below 5% utilization for 11m", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GpuReadingsAreIgnored_WithoutAThreshold()
    {
        var h = new GridHarness(new GridOptions { AgentTimeout = TimeSpan.FromDays(2), StallTimeout = TimeSpan.FromMinutes(10), DefaultIdleTimeout = TimeSpan.FromMinutes(30) });
        var (agent, session) = await GpuSessionAsync(h);
        await h.Grid.SubmitJobAsync(session.Id, GridHarness.Spec(), default);
        var start = agent.Receive().OfType<StartJob>().Single();
        for (var minute = 1; minute <= 20; minute++)
        {
            h.Time.Advance(TimeSpan.FromMinutes(1));
            await h.Grid.ReportJobEventsAsync(agent.Id, start.JobId, start.LeaseEpoch, [new(minute, new ProgressReported(minute, 100, 1, 1.0, 10, 60))], default);
            await agent.HeartbeatAsync(0.0);
        }

        var why = await h.Grid.ExplainIdlenessAsync(session.Id, default);

        Assert.Contains($"job {start.JobId} is running", why.Reasons);
    }

    [Fact]
    public void GpuStallThreshold_IsAFraction_AndNeedsAStallTimeout()
    {
        Assert.Contains(new GridOptions { GpuStallThreshold = 5 }.Validate(), p => p.Contains("between 0 and 1", StringComparison.Ordinal));
        Assert.Contains(new GridOptions { GpuStallThreshold = 0.05 }.Validate(), p => p.Contains("needs a StallTimeout", StringComparison.Ordinal));
        Assert.Empty(new GridOptions { GpuStallThreshold = 0.05, StallTimeout = TimeSpan.FromMinutes(10) }.Validate());
    }

    [Fact]
    public async Task TimeWaitingInTheQueue_IsNotIdleTime()
    {
        var agent = await _h.ConnectAsync("a1", cpuSlots: 1);
        var first = await _h.Grid.CreateSessionAsync(ResourceRequest.Cpu, 0, "", default, idleTimeout: TimeSpan.FromMinutes(30));
        var waiting = await _h.Grid.CreateSessionAsync(ResourceRequest.Cpu, 0, "", default, idleTimeout: TimeSpan.FromMinutes(30));
        await agent.SyncAsync();

        await AdvanceAsync(agent, TimeSpan.FromMinutes(30));
        Assert.Equal(SessionState.Evicted, (await Session(first.Id)).State);
        await agent.SyncAsync();
        await AdvanceAsync(agent, TimeSpan.FromMinutes(5));

        var placed = await Session(waiting.Id);
        Assert.Equal(SessionState.Ready, placed.State);
        Assert.Equal(TimeSpan.FromMinutes(25), (await _h.Grid.ExplainIdlenessAsync(waiting.Id, default)).EvictionAt - _h.Time.GetUtcNow());
    }

    /// <summary>Reads a session through the listing, which (unlike a get) is not activity on it.</summary>
    private async Task<Session> Session(string id) => (await _h.Grid.ListSessionsAsync(includeEnded: true, default)).Single(s => s.Id == id);

    /// <summary>Moves the clock in heartbeat-sized steps, with the agent heartbeating and the controller sweeping.</summary>
    private async Task AdvanceAsync(TestAgent agent, TimeSpan span)
    {
        var step = TimeSpan.FromMinutes(1);
        for (var done = TimeSpan.Zero; done < span; done += step)
        {
            _h.Time.Advance(step);
            await agent.HeartbeatAsync();
            await _h.Grid.SweepAsync(default);
        }
    }

    private async Task<(TestAgent Agent, StartJob Start)> RunningJobAsync(TimeSpan? maxLifetime = null)
    {
        var agent = await _h.ConnectAsync("a1");
        var session = await _h.Grid.CreateSessionAsync(ResourceRequest.Cpu, 0, "", default, maxLifetime: maxLifetime);
        await agent.SyncAsync();
        await _h.Grid.SubmitJobAsync(session.Id, GridHarness.Spec(), default);
        return (agent, agent.Receive().OfType<StartJob>().Single());
    }

    /// <summary>A single-GPU agent on <paramref name="h"/>'s grid, with a GPU session placed on it and confirmed.</summary>
    private static async Task<(TestAgent Agent, Session Session)> GpuSessionAsync(GridHarness h)
    {
        var agent = await h.ConnectAsync("gpu-node", cpuSlots: 0, gpus: 1);
        var session = await h.Grid.CreateSessionAsync(new ResourceRequest(Runtime.Gpu, 1), 0, "", default);
        await agent.SyncAsync();
        return (agent, session);
    }
}
