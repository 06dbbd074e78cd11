using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Agents;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Sessions;

namespace GridTrain.Domain.Tests.Coordination;

/// <summary>
/// An agent registering again: from the same run (its answer was lost, it reconnected, the controller failed over) a
/// job it does not list yet was never delivered, so it is sent again; from a new run (a restart) the job's process is
/// gone, so the attempt counts as lost.
/// </summary>
public sealed class AgentReregistrationTests
{
    private static readonly Inventory s_inventory = new(8, 32L << 30, [], 1);

    private readonly GridHarness _h = new();

    [Fact]
    public async Task SameRun_JobStartedWhileItsStreamWasClosed_IsSentAgainWithTheCatchUp_NotRetried()
    {
        var (agent, session, job) = await JobStartedWhileTheStreamIsClosedAsync("run-1");

        var again = await _h.Grid.RegisterAgentAsync("a1", s_inventory, "test", [new HeldSessionReport(session.Id, session.LeaseEpoch)], [], default, instance: "run-1");

        Assert.Equal(agent.Id, again.Agent.Id);
        var kept = await _h.Grid.GetJobAsync(job.Id, default);
        Assert.Equal((JobState.Running, 1), (kept.State, kept.Attempt));
        var catchUp = await _h.Grid.OpenCommandStreamAsync(agent.Id, default);
        var start = Drain(catchUp).OfType<StartJob>().Single();
        Assert.Equal((job.Id, 1, kept.LeaseEpoch), (start.JobId, start.Attempt, start.LeaseEpoch));
    }

    [Fact]
    public async Task NewRun_JobItDoesNotList_IsRetriedAsLost()
    {
        var (_, session, job) = await JobStartedWhileTheStreamIsClosedAsync("run-1");

        await _h.Grid.RegisterAgentAsync("a1", s_inventory, "test", [new HeldSessionReport(session.Id, session.LeaseEpoch)], [], default, instance: "run-2");

        var retried = await _h.Grid.GetJobAsync(job.Id, default);
        Assert.True(retried.Attempt == 2 || retried.State == JobState.Queued, $"attempt {retried.Attempt}, {retried.State}");
        Assert.Contains(await _h.Grid.ReadJobEventsAsync(job.Id, 0, 100, default), e => e.Data is JobStateChanged { Reason: var m } && m.Contains("restarted without the job's process", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NoInstance_EveryRegistrationCountsAsARestart()
    {
        var (_, session, job) = await JobStartedWhileTheStreamIsClosedAsync("");

        await _h.Grid.RegisterAgentAsync("a1", s_inventory, "test", [new HeldSessionReport(session.Id, session.LeaseEpoch)], [], default);

        Assert.Contains(await _h.Grid.ReadJobEventsAsync(job.Id, 0, 100, default), e => e.Data is JobStateChanged { Reason: var m } && m.Contains("restarted without the job's process", StringComparison.Ordinal));
    }

    /// <summary>An agent of run <paramref name="instance"/> holds a ready session; its stream closes; a job starts there meanwhile.</summary>
    private async Task<(Agents.Agent Agent, Session Session, Job Job)> JobStartedWhileTheStreamIsClosedAsync(string instance)
    {
        var registration = await _h.Grid.RegisterAgentAsync("a1", s_inventory, "test", [], [], default, instance: instance);
        using var streamOpen = new CancellationTokenSource();
        var commands = await _h.Grid.OpenCommandStreamAsync(registration.Agent.Id, streamOpen.Token);
        var created = await _h.Grid.CreateSessionAsync(ResourceRequest.Cpu, 0, "", default);
        var assign = Drain(commands).OfType<AssignSession>().Single();
        await _h.Grid.HeartbeatAsync(registration.Agent.Id, [new HeldSessionReport(assign.SessionId, assign.LeaseEpoch)], [], default);
        Assert.Equal(SessionState.Ready, (await _h.Grid.GetSessionAsync(created.Id, default)).State);
        await streamOpen.CancelAsync();

        var job = await _h.Grid.SubmitJobAsync(created.Id, GridHarness.Spec(), default);
        Assert.Equal(JobState.Running, (await _h.Grid.GetJobAsync(job.Id, default)).State);
        return (registration.Agent, await _h.Grid.GetSessionAsync(created.Id, default), job);
    }

    private static List<AgentDirective> Drain(System.Threading.Channels.ChannelReader<AgentDirective> commands)
    {
        var received = new List<AgentDirective>();
        while (commands.TryRead(out var command))
        {
            received.Add(command);
        }

        return received;
    }
}
