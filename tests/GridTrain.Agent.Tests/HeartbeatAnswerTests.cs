using GridTrain.Agent.Connection;
using GridTrain.Agent.Tests.Fakes;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;

namespace GridTrain.Agent.Tests;

/// <summary>
/// A heartbeat's answer is about the lease epochs its request listed: a lease or attempt granted since (its command
/// overtook the answer) is newer than the answer and stays.
/// </summary>
public sealed class HeartbeatAnswerTests
{
    private static readonly AgentInstructions Nothing = new([], []);

    [Fact]
    public async Task ReleaseAnsweringAnOldLease_KeepsTheNewerLeaseThatOvertookIt()
    {
        await using var harness = new AgentHarness();
        await harness.StartAsync();
        await harness.SendAsync(new AssignSession("ses-1", 1, []));
        await harness.HeartbeatAsync(h => Holds(h, 1));

        var answered = 0;
        harness.Link.Answer = async holdings =>
        {
            if (!Holds(holdings, 1) || Interlocked.Exchange(ref answered, 1) == 1)
            {
                return Nothing;
            }

            await harness.SendAsync(new ReleaseSession("ses-1", "evicted"));
            await harness.SendAsync(new AssignSession("ses-1", 2, []));

            // A barrier: commands are handled in order, and a job whose id is not a safe path is refused with a result.
            await harness.SendAsync(AgentHarness.Start("../barrier", epoch: 2));
            Assert.Equal("../barrier", (await harness.NextResultAsync()).JobId);
            Assert.Equal(2, Assert.Single(harness.Agent.Status().Sessions).LeaseEpoch);
            return new AgentInstructions([], ["ses-1"]);
        };
        harness.PullHeartbeat();

        var after = await harness.HeartbeatAsync(h => Volatile.Read(ref answered) == 1 && !Holds(h, 1));

        Assert.Equal(2, Assert.Single(after.Sessions).LeaseEpoch);
        Assert.Equal(2, Assert.Single(harness.Agent.Status().Sessions).LeaseEpoch);
    }

    [Fact]
    public async Task ReleaseAnsweringTheCurrentLease_ReleasesIt()
    {
        await using var harness = new AgentHarness();
        await harness.StartAsync();
        await harness.SendAsync(new AssignSession("ses-1", 1, []));
        await harness.HeartbeatAsync(h => Holds(h, 1));
        harness.Link.Answer = holdings => Task.FromResult(Holds(holdings, 1) ? new AgentInstructions([], ["ses-1"]) : Nothing);
        harness.PullHeartbeat();

        var after = await harness.HeartbeatAsync(h => h.Sessions.Count == 0);

        Assert.Empty(after.Sessions);
        Assert.Empty(harness.Agent.Status().Sessions);
    }

    [Fact]
    public async Task StopAnsweringAnOldAttempt_LeavesTheNewerAttemptRunning()
    {
        await using var harness = new AgentHarness();
        await harness.StartAsync();
        await harness.SendAsync(AgentHarness.Start("job-a", epoch: 1));
        var first = await harness.NextProcessAsync();
        await harness.PollHeartbeatsAsync(h => Runs(h, "job-a", 1));

        ScriptedProcess? second = null;
        var answered = 0;
        harness.Link.Answer = async holdings =>
        {
            if (!Runs(holdings, "job-a", 1) || Interlocked.Exchange(ref answered, 1) == 1)
            {
                return Nothing;
            }

            // The job resumes under a new lease before the answer about the old one arrives.
            await harness.SendAsync(AgentHarness.Start("job-a", epoch: 2, attempt: 2));
            second = await harness.NextProcessAsync();
            return new AgentInstructions(["job-a"], []);
        };

        await harness.PollHeartbeatsAsync(h => Volatile.Read(ref answered) == 1 && Runs(h, "job-a", 2));

        Assert.Equal("superseded by lease epoch 2", await first.StopRequested);
        Assert.False(second!.StopRequested.IsCompleted, "the answer named the attempt under lease 1 only");
        Assert.Equal(second.ProcessId, harness.Agent.JobProcesses["job-a"]);
    }

    [Fact]
    public async Task AttemptWaitingForItsPredecessor_IsListedOnceUnderItsLease_AndAStartSentAgainIsIgnored()
    {
        await using var harness = new AgentHarness();
        harness.Jobs.ExitOnStop = false;
        await harness.StartAsync();
        await harness.SendAsync(AgentHarness.Start("job-a", epoch: 1));
        var first = await harness.NextProcessAsync();

        // The job resumes under a new lease while its first attempt still winds down; a reconnect's catch-up repeats the start.
        await harness.SendAsync(AgentHarness.Start("job-a", epoch: 2, attempt: 2));
        Assert.Equal("superseded by lease epoch 2", await first.StopRequested);
        await harness.SendAsync(AgentHarness.Start("job-a", epoch: 2, attempt: 2));
        var waiting = await harness.PollHeartbeatsAsync(h => Runs(h, "job-a", 2));

        Assert.Single(waiting.Jobs, j => j.JobId == "job-a");
        first.Exit(143);
        var second = await harness.NextProcessAsync();
        Assert.Equal(2, second.Launch.Request.Attempt);
        await harness.SendAsync(AgentHarness.Start("../barrier", epoch: 3));
        while ((await harness.NextResultAsync()).JobId != "../barrier")
        {
            // The first attempt's result comes first.
        }

        Assert.False(harness.Jobs.Started.Reader.TryRead(out _), "the repeated start began a second process");
    }

    [Fact]
    public async Task RetryUnderTheSameLease_WhileTheDeadAttemptsResultIsStillBeingReported_StartsOnceItIsReported()
    {
        await using var harness = new AgentHarness();
        await harness.StartAsync();
        await harness.SendAsync(AgentHarness.Start("job-a", epoch: 1));
        var first = await harness.NextProcessAsync();

        // Killed from outside: the controller retries the job on the same session (same lease epoch) before the
        // agent's report of the first attempt's end has been answered.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        harness.Link.HoldResults = ("job-a", release);
        first.Exit(137);
        Assert.Equal(("job-a", 1L), await harness.Link.ResultsTried.Reader.ReadAsync().AsTask().WaitAsync(AgentHarness.Timeout));
        await harness.SendAsync(AgentHarness.Start("job-a", epoch: 1, attempt: 2));
        await harness.SendAsync(AgentHarness.Start("../barrier", epoch: 2)); // Commands are handled in order: the retry has been.
        Assert.Equal("../barrier", (await harness.NextResultAsync()).JobId);
        release.SetResult();

        var second = await harness.NextProcessAsync();
        Assert.Equal(2, second.Launch.Request.Attempt);
        Assert.Equal(1, (await harness.NextResultAsync()).LeaseEpoch);
    }

    private static bool Holds(AgentHoldings heartbeat, long epoch) => heartbeat.Sessions.Any(s => s.SessionId == "ses-1" && s.LeaseEpoch == epoch);

    private static bool Runs(AgentHoldings heartbeat, string jobId, long epoch) => heartbeat.Jobs.Any(j => j.JobId == jobId && j.LeaseEpoch == epoch);
}
