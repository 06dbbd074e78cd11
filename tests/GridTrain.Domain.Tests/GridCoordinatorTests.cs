using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Sessions;

namespace GridTrain.Domain.Tests;

public sealed class GridCoordinatorTests
{
    private readonly GridHarness _h = new();

    [Fact]
    public async Task CreateSession_AgentConfirms_SessionReady()
    {
        var agent = await _h.ConnectAsync("a1");

        var session = await _h.Grid.CreateSessionAsync(ResourceRequest.Cpu, 0, "notebook", default);
        Assert.Equal(SessionState.Starting, (await _h.Grid.GetSessionAsync(session.Id, default)).State);

        var assign = Assert.IsType<AssignSession>(Assert.Single(await agent.SyncAsync()));
        var ready = await _h.Grid.GetSessionAsync(session.Id, default);
        Assert.Equal(SessionState.Ready, ready.State);
        Assert.Equal(agent.Id, ready.AgentId);
        Assert.Equal(1, assign.LeaseEpoch);
        Assert.Equal(
            [SessionState.Pending, SessionState.Starting, SessionState.Ready],
            (await _h.Grid.ReadSessionChangesAsync(session.Id, 0, default)).Select(c => c.State));
    }

    [Fact]
    public async Task PlacementTheAgentNeverConfirms_IsSentAgainOncePerAgentTimeout_UntilConfirmed()
    {
        var agent = await _h.ConnectAsync("a1");
        var session = await _h.Grid.CreateSessionAsync(ResourceRequest.Cpu, 0, "", default);
        var first = Assert.IsType<AssignSession>(Assert.Single(agent.Receive()));

        // The agent lost the assignment: it stays alive, heartbeating without the session.
        var timeout = _h.Grid.Options.AgentTimeout;
        _h.Time.Advance(timeout / 2);
        await _h.Grid.HeartbeatAsync(agent.Id, [], [], default);
        await _h.Grid.SweepAsync(default);
        var early = agent.Receive();
        _h.Time.Advance(timeout / 2);
        await _h.Grid.HeartbeatAsync(agent.Id, [], [], default);
        await _h.Grid.SweepAsync(default);
        var again = Assert.IsType<AssignSession>(Assert.Single(agent.Receive()));
        await _h.Grid.SweepAsync(default);
        var notTwice = agent.Receive();

        Assert.Empty(early);
        Assert.Equal(first, again);
        Assert.Empty(notTwice);
        await agent.SyncAsync();
        Assert.Equal(SessionState.Ready, (await _h.Grid.GetSessionAsync(session.Id, default)).State);
    }

    [Fact]
    public async Task CreateSession_NoAgent_StaysPendingUntilOneJoins()
    {
        var session = await _h.Grid.CreateSessionAsync(ResourceRequest.Cpu, 0, "", default);
        Assert.Equal(SessionState.Pending, (await _h.Grid.GetSessionAsync(session.Id, default)).State);

        var agent = await _h.ConnectAsync("late");
        await _h.Grid.SweepAsync(default);
        await agent.SyncAsync();

        Assert.Equal(SessionState.Ready, (await _h.Grid.GetSessionAsync(session.Id, default)).State);
    }

    [Fact]
    public async Task SubmitJobs_RunOneAtATime_LikeNotebookCells()
    {
        var agent = await _h.ConnectAsync("a1");
        var session = await _h.Grid.CreateSessionAsync(ResourceRequest.Cpu, 0, "", default);
        await agent.SyncAsync();

        var first = await _h.Grid.SubmitJobAsync(session.Id, GridHarness.Spec(), default);
        var second = await _h.Grid.SubmitJobAsync(session.Id, GridHarness.Spec(), default);

        var start = Assert.IsType<StartJob>(Assert.Single(agent.Receive()));
        Assert.Equal(first.Id, start.JobId);
        Assert.Equal(JobState.Queued, (await _h.Grid.GetJobAsync(second.Id, default)).State);
        Assert.Equal(SessionState.Busy, (await _h.Grid.GetSessionAsync(session.Id, default)).State);

        await agent.FinishAsync(start, TestAgent.Succeeded());

        var next = Assert.IsType<StartJob>(Assert.Single(agent.Receive()));
        Assert.Equal(second.Id, next.JobId);
        var done = await _h.Grid.GetJobAsync(first.Id, default);
        Assert.Equal(JobState.Succeeded, done.State);
        Assert.Equal("/ckpt/final", done.LatestCheckpoint);
    }

    [Fact]
    public async Task BatchJob_SessionEndsWithTheJob_AndFreesTheSlot()
    {
        var agent = await _h.ConnectAsync("a1", cpuSlots: 1);
        var job = await _h.Grid.SubmitBatchJobAsync(ResourceRequest.Cpu, 0, GridHarness.Spec(), default);
        var queued = await _h.Grid.SubmitBatchJobAsync(ResourceRequest.Cpu, 0, GridHarness.Spec(), default);
        var start = Assert.IsType<StartJob>((await agent.SyncAsync()).OfType<StartJob>().Single());
        Assert.Equal(job.Id, start.JobId);
        Assert.Equal(SessionState.Pending, (await _h.Grid.GetSessionAsync(queued.SessionId, default)).State);

        await agent.FinishAsync(start, TestAgent.Succeeded());

        var session = await _h.Grid.GetSessionAsync(job.SessionId, default);
        Assert.Equal(SessionState.Terminated, session.State);
        Assert.Contains(agent.Receive(), c => c is ReleaseSession r && r.SessionId == job.SessionId);
        Assert.Equal(SessionState.Starting, (await _h.Grid.GetSessionAsync(queued.SessionId, default)).State);
    }

    [Fact]
    public async Task CancelJob_Running_AgentToldToStop_SessionReadyForTheNext()
    {
        var agent = await _h.ConnectAsync("a1");
        var session = await _h.Grid.CreateSessionAsync(ResourceRequest.Cpu, 0, "", default);
        await agent.SyncAsync();
        var job = await _h.Grid.SubmitJobAsync(session.Id, GridHarness.Spec(), default);
        agent.Receive();

        var cancelled = await _h.Grid.CancelJobAsync(job.Id, "cancelled by user", default);

        Assert.Equal(JobState.Cancelled, cancelled.State);
        Assert.Contains(agent.Receive(), c => c is CancelJob cj && cj.JobId == job.Id);
        Assert.Equal(SessionState.Ready, (await _h.Grid.GetSessionAsync(session.Id, default)).State);
        Assert.Equal(JobState.Cancelled, (await _h.Grid.CancelJobAsync(job.Id, "again", default)).State);
    }

    [Fact]
    public async Task ReportEvents_RetriedReport_StoredOnce_WithGaplessSequences()
    {
        var (agent, start) = await RunningJobAsync();
        ReportedEvent[] batch =
        [
            new(1, new ProgressReported(10, 100, 1, 2.0, 500, 9)),
            new(2, new CheckpointWritten(10, "/ckpt/10")),
        ];

        await _h.Grid.ReportJobEventsAsync(agent.Id, start.JobId, start.LeaseEpoch, batch, default);
        var acked = await _h.Grid.ReportJobEventsAsync(agent.Id, start.JobId, start.LeaseEpoch, [.. batch, new(3, new LogWritten("stdout", "hi"))], default);

        Assert.Equal(3, acked);
        var events = await _h.Grid.ReadJobEventsAsync(start.JobId, 0, 100, default);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Sequence));
        Assert.Single(events, e => e.Data is CheckpointWritten);
        var job = await _h.Grid.GetJobAsync(start.JobId, default);
        Assert.Equal("/ckpt/10", job.LatestCheckpoint);
        Assert.Equal(10, job.Progress!.Step);
    }

    [Fact]
    public async Task Report_StaleEpoch_RefusedWithFailedPrecondition()
    {
        var (agent, start) = await RunningJobAsync();

        var error = await Assert.ThrowsAsync<GridException>(() =>
            _h.Grid.ReportJobEventsAsync(agent.Id, start.JobId, start.LeaseEpoch - 1, [new(1, new LogWritten("stdout", "late"))], default));

        Assert.Equal(GridError.FailedPrecondition, error.Error);
        Assert.Contains("stale lease", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AgentSilentPastTimeout_Lost_JobResumesElsewhereFromLatestCheckpoint()
    {
        var (lost, start) = await RunningJobAsync();
        await _h.Grid.ReportJobEventsAsync(lost.Id, start.JobId, start.LeaseEpoch, [new(1, new CheckpointWritten(200, "/ckpt/200"))], default);
        var survivor = await _h.ConnectAsync("a2");

        _h.Time.Advance(TimeSpan.FromSeconds(6));
        await survivor.HeartbeatAsync();
        await _h.Grid.SweepAsync(default);
        Assert.Equal(JobState.Running, (await _h.Grid.GetJobAsync(start.JobId, default)).State);

        _h.Time.Advance(TimeSpan.FromSeconds(6));
        await survivor.HeartbeatAsync();
        await _h.Grid.SweepAsync(default);

        var restart = (await survivor.SyncAsync()).OfType<StartJob>().Single();
        Assert.Equal(start.JobId, restart.JobId);
        Assert.Equal(2, restart.Attempt);
        Assert.Equal("/ckpt/200", restart.ResumeFrom);
        Assert.Equal(start.LeaseEpoch + 1, restart.LeaseEpoch);
        var job = await _h.Grid.GetJobAsync(start.JobId, default);
        Assert.Equal("/ckpt/200", job.ResumedFrom);

        // The lost agent's late report carries the old epoch and is refused.
        await Assert.ThrowsAsync<GridException>(() => _h.Grid.ReportJobEventsAsync(lost.Id, start.JobId, start.LeaseEpoch, [new(2, new LogWritten("stdout", "late"))], default));
    }

    [Fact]
    public async Task HeartbeatGapShorterThanTimeout_ChangesNothing()
    {
        var (agent, start) = await RunningJobAsync();

        _h.Time.Advance(TimeSpan.FromSeconds(9.5));
        await _h.Grid.SweepAsync(default);
        var instructions = await agent.HeartbeatAsync();
        _h.Time.Advance(TimeSpan.FromSeconds(9.5));
        await _h.Grid.SweepAsync(default);

        Assert.Empty(instructions.StopJobIds);
        Assert.Empty(instructions.ReleaseSessionIds);
        var job = await _h.Grid.GetJobAsync(start.JobId, default);
        Assert.Equal((JobState.Running, 1, start.LeaseEpoch), (job.State, job.Attempt, job.LeaseEpoch));
        Assert.Empty(agent.Receive());
    }

    [Fact]
    public async Task LostAgentReturns_StaleJobsAndSessionsAreStopped()
    {
        var (lost, start) = await RunningJobAsync();
        _h.Time.Advance(TimeSpan.FromSeconds(11));
        await _h.Grid.SweepAsync(default);

        var registration = await _h.Grid.RegisterAgentAsync(
            "a1",
            new Agents.Inventory(8, 1L << 30, [], 1),
            "test",
            [new HeldSessionReport(start.SessionId, start.LeaseEpoch)],
            [new RunningJobReport(start.JobId, start.LeaseEpoch)],
            default);

        Assert.Equal(lost.Id, registration.Agent.Id);
        Assert.Contains(start.JobId, registration.Instructions.StopJobIds);
        Assert.Contains(start.SessionId, registration.Instructions.ReleaseSessionIds);
    }

    [Fact]
    public async Task InfrastructureFailure_RetriedUpToLimit_ThenFailsWithCause()
    {
        var harness = new GridHarness(new GridOptions { MaxJobAttempts = 2 });
        var agent = await harness.ConnectAsync("a1");
        var job = await harness.Grid.SubmitBatchJobAsync(ResourceRequest.Cpu, 0, GridHarness.Spec(), default);
        var killed = new JobResult { State = JobState.Failed, Reason = "job process killed by SIGKILL", Retryable = true };

        await agent.FinishAsync((await agent.SyncAsync()).OfType<StartJob>().Single(), killed);
        var second = agent.Receive().OfType<StartJob>().Single();
        Assert.Equal(2, second.Attempt);
        await agent.FinishAsync(second, killed);

        var failed = await harness.Grid.GetJobAsync(job.Id, default);
        Assert.Equal(JobState.Failed, failed.State);
        Assert.Contains("SIGKILL", failed.Result!.Reason, StringComparison.Ordinal);
        Assert.Contains("gave up after 2 attempts", failed.Result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UserError_FailsFast_WithoutRetry()
    {
        var (agent, start) = await RunningJobAsync();

        await agent.FinishAsync(start, new JobResult { State = JobState.Failed, Reason = "IDX file train-images: bad magic", Retryable = false });

        var job = await _h.Grid.GetJobAsync(start.JobId, default);
        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal(1, job.Attempt);
        Assert.Equal("IDX file train-images: bad magic", job.Result!.Reason);
    }

    [Fact]
    public async Task TerminateSession_CancelsQueuedAndRunningJobs_ReleasesAgent()
    {
        var (agent, start) = await RunningJobAsync();
        var queued = await _h.Grid.SubmitJobAsync(start.SessionId, GridHarness.Spec(), default);

        var session = await _h.Grid.TerminateSessionAsync(start.SessionId, "terminated by user", default);

        Assert.Equal(SessionState.Terminated, session.State);
        Assert.Equal(JobState.Cancelled, (await _h.Grid.GetJobAsync(start.JobId, default)).State);
        Assert.Equal(JobState.Cancelled, (await _h.Grid.GetJobAsync(queued.Id, default)).State);
        Assert.Contains(agent.Receive(), c => c is ReleaseSession);
        var error = await Assert.ThrowsAsync<GridException>(() => _h.Grid.SubmitJobAsync(start.SessionId, GridHarness.Spec(), default));
        Assert.Equal(GridError.FailedPrecondition, error.Error);
    }

    [Fact]
    public async Task UnknownIds_NotFound_NamingTheId()
    {
        var error = await Assert.ThrowsAsync<GridException>(() => _h.Grid.GetJobAsync("job-nope", default));

        Assert.Equal(GridError.NotFound, error.Error);
        Assert.Equal("job 'job-nope' not found", error.Message);
    }

    [Fact]
    public async Task ControllerRestart_AgentsGetAFullTimeoutToReconnect()
    {
        var (agent, start) = await RunningJobAsync();
        _h.Time.Advance(TimeSpan.FromSeconds(8));

        var restarted = new GridCoordinator(_h.Store, _h.Time, new RandomIdGenerator(), new GridOptions(), Microsoft.Extensions.Logging.Abstractions.NullLogger<GridCoordinator>.Instance);
        _h.Time.Advance(TimeSpan.FromSeconds(8));
        await restarted.SweepAsync(default);

        Assert.Equal(JobState.Running, (await restarted.GetJobAsync(start.JobId, default)).State);
        Assert.Equal(agent.Id, (await restarted.GetSessionAsync(start.SessionId, default)).AgentId);
    }

    private async Task<(TestAgent Agent, StartJob Start)> RunningJobAsync()
    {
        var agent = await _h.ConnectAsync("a1");
        var session = await _h.Grid.CreateSessionAsync(ResourceRequest.Cpu, 0, "", default);
        await agent.SyncAsync();
        await _h.Grid.SubmitJobAsync(session.Id, GridHarness.Spec(), default);
        return (agent, agent.Receive().OfType<StartJob>().Single());
    }
}
