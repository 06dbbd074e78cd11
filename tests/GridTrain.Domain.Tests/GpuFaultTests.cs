using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Agents.Health;
using GridTrain.Domain.Coordination;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Sessions;
using GridTrain.Domain.Telemetry;

namespace GridTrain.Domain.Tests;

/// <summary>The coordinator's answer to a GPU its agent takes out of service.</summary>
public sealed class GpuFaultTests
{
    private readonly GridHarness _h = new(new GridOptions { AgentTimeout = TimeSpan.FromDays(2), MaxJobAttempts = 2 });

    [Fact]
    public async Task UnhealthyGpu_SessionOnIt_JobCheckpointsAndMovesToAHealthyGpu_AttemptNotCharged()
    {
        var (agent, start) = await RunningGpuJobAsync(gpus: 2);
        var bad = Assert.Single(start.GpuIndexes);
        await _h.Grid.ReportJobEventsAsync(agent.Id, start.JobId, start.LeaseEpoch, [new(1, new CheckpointWritten(40, "/ckpt/40"))], default);

        await agent.HeartbeatAsync(gpuHealth: Health(agent, gpus: 2, (bad, "Xid 79")));

        var cancel = Assert.Single(agent.Receive().OfType<CancelJob>());
        Assert.Contains("checkpoint and stop", cancel.Reason, StringComparison.Ordinal);
        Assert.Contains($"GPU-gpu-node-{bad} Xid 79", cancel.Reason, StringComparison.Ordinal);
        await agent.FinishAsync(start, JobResult.Cancelled("stopped for a move"));

        var restart = (await agent.SyncAsync()).OfType<StartJob>().Single();
        Assert.Equal(start.JobId, restart.JobId);
        Assert.Equal("/ckpt/40", restart.ResumeFrom);
        Assert.Equal([1 - bad], restart.GpuIndexes);
        var job = await _h.Grid.GetJobAsync(start.JobId, default);
        Assert.Equal(2, job.Attempt);
        Assert.Equal(1, job.UnchargedAttempts);
        Assert.Equal(1, job.ChargedAttempts);
        Assert.Equal([$"GPU-gpu-node-{bad} Xid 79"], job.GpuFaults);
        Assert.Equal(1, _h.Instruments.Evictions(EvictionCause.GpuFault));

        var view = Assert.Single(await _h.Grid.ListAgentsAsync(default));
        Assert.Empty(view.FreeGpuIndexes);
        Assert.Contains(view.GpuHealth, g => g.Index == bad && g.Cause == GpuFaultCause.Xid && g.Reason == $"GPU-gpu-node-{bad} Xid 79");
    }

    [Fact]
    public async Task UnchargedAttempt_LaterInfrastructureFailures_StillGetEveryChargedAttempt()
    {
        var (agent, start) = await RunningGpuJobAsync(gpus: 2);
        await agent.HeartbeatAsync(gpuHealth: Health(agent, gpus: 2, (start.GpuIndexes[0], "GPU is lost")));
        agent.Receive();
        await agent.FinishAsync(start, JobResult.Cancelled("stopped"));
        var second = (await agent.SyncAsync()).OfType<StartJob>().Single();

        // MaxJobAttempts is 2 and this is attempt 2, but the first was not charged: a process crash is retried (attempt 3).
        await agent.FinishAsync(second, new JobResult { State = JobState.Failed, Reason = "process killed", Retryable = true });

        var job = await _h.Grid.GetJobAsync(start.JobId, default);
        Assert.Equal(JobState.Running, job.State);
        Assert.Equal(3, job.Attempt);
        Assert.Equal(2, job.ChargedAttempts);
    }

    [Fact]
    public async Task GpuFaults_OnThreeDifferentGpus_JobIsBlamed_AndFailsSayingSo()
    {
        var (agent, start) = await RunningGpuJobAsync(gpus: 4);
        var faulty = new List<int>();
        for (var fault = 0; fault < 2; fault++)
        {
            faulty.Add(start.GpuIndexes[0]);
            await agent.HeartbeatAsync(gpuHealth: Health(agent, 4, [.. faulty.Select(i => (i, "Xid 79"))]));
            agent.Receive();
            await agent.FinishAsync(start, JobResult.Cancelled("stopped"));
            start = (await agent.SyncAsync()).OfType<StartJob>().Single();
        }

        faulty.Add(start.GpuIndexes[0]);
        await agent.HeartbeatAsync(gpuHealth: Health(agent, 4, [.. faulty.Select(i => (i, "Xid 79"))]));

        var job = await _h.Grid.GetJobAsync(start.JobId, default);
        Assert.Equal(JobState.Failed, job.State);
        Assert.Contains("3 different GPUs", job.Result!.Reason, StringComparison.Ordinal);
        Assert.Contains("the job, not the hardware, is the likely cause", job.Result.Reason, StringComparison.Ordinal);
        Assert.Contains(agent.Receive(), c => c is CancelJob cancel && cancel.JobId == start.JobId);
    }

    [Fact]
    public async Task ProcessFailedOnAFaultyGpu_BeforeAnyHeartbeatSaidSo_NotCharged_GpuOutOfService_MovesWithItsCheckpoint()
    {
        var (agent, start) = await RunningGpuJobAsync(gpus: 2);
        var bad = Assert.Single(start.GpuIndexes);
        await _h.Grid.ReportJobEventsAsync(agent.Id, start.JobId, start.LeaseEpoch, [new(1, new CheckpointWritten(40, "/ckpt/40"))], default);
        var fault = Health(agent, gpus: 2, (bad, "Xid 79"))[bad];

        // Exit code 1 is the job's own failure (not retryable), unless the agent found its GPU faulty right after.
        await agent.FinishAsync(start, new JobResult { State = JobState.Failed, Reason = "job process exited with code 1: CUDA error: unspecified launch failure", ExitCode = 1, GpuFault = fault });

        var restart = (await agent.SyncAsync()).OfType<StartJob>().Single();
        Assert.Equal((start.JobId, "/ckpt/40"), (restart.JobId, restart.ResumeFrom));
        Assert.Equal([1 - bad], restart.GpuIndexes);
        var job = await _h.Grid.GetJobAsync(start.JobId, default);
        Assert.Equal((JobState.Running, 2, 1, 1), (job.State, job.Attempt, job.UnchargedAttempts, job.ChargedAttempts));
        Assert.Equal([$"GPU-gpu-node-{bad} Xid 79"], job.GpuFaults);
        var view = Assert.Single(await _h.Grid.ListAgentsAsync(default));
        Assert.Contains(view.GpuHealth, g => g.Index == bad && !g.Healthy);
        Assert.Empty(view.FreeGpuIndexes);
    }

    [Fact]
    public async Task ProcessFailedOnAFaultyGpu_AfterAHeartbeatSaidSo_SameOutcome_AndTheRequeueSaysTheAttemptIsNotCharged()
    {
        // Which comes first, the heartbeat carrying the GPU's fault or the job's result naming it, is a race on the agent.
        var (agent, start) = await RunningGpuJobAsync(gpus: 2);
        var bad = Assert.Single(start.GpuIndexes);
        var health = Health(agent, gpus: 2, (bad, "Xid 79"));
        await agent.HeartbeatAsync(gpuHealth: health);

        await agent.FinishAsync(start, new JobResult { State = JobState.Failed, Reason = "job process exited with code 1: CUDA error: unspecified launch failure", ExitCode = 1, GpuFault = health[bad] });

        var restart = (await agent.SyncAsync()).OfType<StartJob>().Single();
        Assert.Equal([1 - bad], restart.GpuIndexes);
        var job = await _h.Grid.GetJobAsync(start.JobId, default);
        Assert.Equal((JobState.Running, 2, 1), (job.State, job.Attempt, job.UnchargedAttempts));
        var requeued = (await _h.Grid.ReadJobEventsAsync(start.JobId, 0, 100, default)).Select(e => e.Data).OfType<JobStateChanged>().Last(c => c.State == JobState.Queued);
        Assert.Contains($"GPU-gpu-node-{bad} Xid 79", requeued.Reason, StringComparison.Ordinal);
        Assert.Contains("the attempt not charged", requeued.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProcessFailedWithoutAGpuFault_ChargedAsBefore()
    {
        var (agent, start) = await RunningGpuJobAsync(gpus: 2);

        await agent.FinishAsync(start, new JobResult { State = JobState.Failed, Reason = "job process exited with code 1", ExitCode = 1 });

        var job = await _h.Grid.GetJobAsync(start.JobId, default);
        Assert.Equal((JobState.Failed, 0), (job.State, job.UnchargedAttempts));
        Assert.All((await _h.Grid.ListAgentsAsync(default)).Single().GpuHealth, g => Assert.True(g.Healthy));
    }

    [Fact]
    public async Task UnhealthyGpu_NoSessionOnIt_IsLeftOutOfPlacement_UntilItComesBack()
    {
        var agent = await _h.ConnectAsync("gpu-node", cpuSlots: 0, gpus: 1);
        await agent.HeartbeatAsync(gpuHealth: Health(agent, 1, (0, "hardware slowdown (thermal)")));
        var session = await _h.Grid.CreateSessionAsync(new ResourceRequest(Runtime.Gpu, 1), 0, "", default);
        Assert.Equal(SessionState.Pending, (await _h.Grid.GetSessionAsync(session.Id, default)).State);

        await agent.HeartbeatAsync(gpuHealth: Health(agent, 1));

        Assert.Contains(agent.Receive(), c => c is AssignSession assign && assign.SessionId == session.Id);
    }

    [Fact]
    public async Task Undrain_UnhealthyGpu_TellsTheAgentAndPlacesAtOnce()
    {
        var agent = await _h.ConnectAsync("gpu-node", cpuSlots: 0, gpus: 1);
        await agent.HeartbeatAsync(gpuHealth: Health(agent, 1, (0, "Xid 48")));
        var session = await _h.Grid.CreateSessionAsync(new ResourceRequest(Runtime.Gpu, 1), 0, "", default);

        var view = await _h.Grid.UndrainGpuAsync(agent.Id, 0, default);

        Assert.All(view.GpuHealth, g => Assert.True(g.Healthy));
        var received = agent.Receive();
        Assert.Contains(received, c => c is ReadmitGpu { GpuIndex: 0 });
        Assert.Contains(received, c => c is AssignSession assign && assign.SessionId == session.Id);
    }

    [Fact]
    public async Task Undrain_UnknownAgentOrIndexOutOfRange_SaysWhatIsWrong()
    {
        var agent = await _h.ConnectAsync("gpu-node", cpuSlots: 0, gpus: 2);

        var unknown = await Assert.ThrowsAsync<GridException>(() => _h.Grid.UndrainGpuAsync("agt-nope", 0, default));
        var outOfRange = await Assert.ThrowsAsync<GridException>(() => _h.Grid.UndrainGpuAsync(agent.Id, 5, default));

        Assert.Equal(GridError.NotFound, unknown.Error);
        Assert.Contains("agt-nope", unknown.Message, StringComparison.Ordinal);
        Assert.Equal(GridError.InvalidArgument, outOfRange.Error);
        Assert.Contains("has no GPU 5; its GPU indexes are 0, 1", outOfRange.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealthReport_OutOfBounds_IsRefusedNamingTheField()
    {
        var agent = await _h.ConnectAsync("gpu-node", cpuSlots: 0, gpus: 1);

        var error = await Assert.ThrowsAsync<GridException>(() => agent.HeartbeatAsync(gpuHealth: [GpuHealth.Ok(99, "GPU-x")]));

        Assert.Equal(GridError.InvalidArgument, error.Error);
        Assert.Contains("gpu_health.index: must be between 0 and 63, got 99", error.Message, StringComparison.Ordinal);
    }

    private static IReadOnlyList<GpuHealth> Health(TestAgent agent, int gpus, params (int Index, string Detail)[] faults) =>
        [.. Enumerable.Range(0, gpus).Select(i =>
        {
            var uuid = $"GPU-gpu-node-{i}";
            return faults.Any(f => f.Index == i)
                ? new GpuHealth(i, uuid, GpuFaultCause.Xid, $"{uuid} {faults.First(f => f.Index == i).Detail}", DateTimeOffset.UnixEpoch)
                : GpuHealth.Ok(i, uuid);
        })];

    private async Task<(TestAgent Agent, StartJob Start)> RunningGpuJobAsync(int gpus)
    {
        var agent = await _h.ConnectAsync("gpu-node", cpuSlots: 0, gpus: gpus);
        var session = await _h.Grid.CreateSessionAsync(new ResourceRequest(Runtime.Gpu, 1), 0, "", default);
        await agent.SyncAsync();
        await _h.Grid.SubmitJobAsync(session.Id, GridHarness.Spec(), default);
        return (agent, agent.Receive().OfType<StartJob>().Single());
    }
}
