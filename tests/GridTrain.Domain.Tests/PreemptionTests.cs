using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Sessions;

namespace GridTrain.Domain.Tests;

public sealed class PreemptionTests
{
    private readonly GridHarness _h = new(new GridOptions { Preemption = true });

    [Fact]
    public async Task HigherPriority_PreemptsTheSessionWithTheLeastWorkLost_WhichCheckpointsAndRequeues()
    {
        var agent = await _h.ConnectAsync("a1", cpuSlots: 0, gpus: 2);
        var costly = await RunningGpuJobAsync(agent, progressStep: 500, checkpointStep: 400);
        var cheap = await RunningGpuJobAsync(agent, progressStep: 500, checkpointStep: 495);

        var urgent = await _h.Grid.CreateSessionAsync(new ResourceRequest(Runtime.Gpu, 1), priority: 10, "", default);

        var stop = Assert.Single(agent.Receive().OfType<CancelJob>());
        Assert.Equal(cheap.JobId, stop.JobId);
        Assert.Contains($"preempted by {urgent.Id}", stop.Reason, StringComparison.Ordinal);
        await agent.FinishAsync(cheap, JobResult.Cancelled("preempted"));

        var commands = await agent.SyncAsync();
        Assert.Contains(commands, c => c is ReleaseSession r && r.SessionId == cheap.SessionId);
        Assert.Contains(commands, c => c is AssignSession a && a.SessionId == urgent.Id);
        var victim = (await _h.Grid.ListSessionsAsync(true, default)).Single(s => s.Id == cheap.SessionId);
        Assert.Equal(SessionState.Pending, victim.State);
        Assert.Equal(JobState.Queued, (await _h.Grid.GetJobAsync(cheap.JobId, default)).State);
        Assert.Equal(JobState.Running, (await _h.Grid.GetJobAsync(costly.JobId, default)).State);
    }

    [Fact]
    public async Task EqualPriority_NeverPreempts()
    {
        var agent = await _h.ConnectAsync("a1", cpuSlots: 0, gpus: 1);
        await RunningGpuJobAsync(agent, progressStep: 10, checkpointStep: 0);

        var waiting = await _h.Grid.CreateSessionAsync(new ResourceRequest(Runtime.Gpu, 1), priority: 0, "", default);

        Assert.DoesNotContain(agent.Receive(), c => c is CancelJob);
        Assert.Equal(SessionState.Pending, (await _h.Grid.ListSessionsAsync(false, default)).Single(s => s.Id == waiting.Id).State);
    }

    private async Task<StartJob> RunningGpuJobAsync(TestAgent agent, long progressStep, long checkpointStep)
    {
        var session = await _h.Grid.CreateSessionAsync(new ResourceRequest(Runtime.Gpu, 1), priority: 0, "", default);
        await agent.SyncAsync();
        await _h.Grid.SubmitJobAsync(session.Id, GridHarness.Spec(), default);
        var start = agent.Receive().OfType<StartJob>().Single();
        await _h.Grid.ReportJobEventsAsync(agent.Id, start.JobId, start.LeaseEpoch,
        [
            new(1, new CheckpointWritten(checkpointStep, $"/ckpt/{start.JobId}/{checkpointStep}")),
            new(2, new ProgressReported(progressStep, 1000, 1, 0.5, 100, 9)),
        ], default);
        return start;
    }
}
