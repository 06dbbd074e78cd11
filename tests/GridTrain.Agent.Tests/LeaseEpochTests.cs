using GridTrain.Agent.Connection;
using GridTrain.Agent.Tests.Fakes;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.Domain.Jobs;

namespace GridTrain.Agent.Tests;

/// <summary>Job attempts run under lease epochs: an older start is ignored, a newer one replaces, a stale lease ends the attempt.</summary>
public sealed class LeaseEpochTests
{
    [Fact]
    public async Task StartUnderAnOlderOrTheSameEpoch_IsIgnored()
    {
        await using var harness = new AgentHarness();
        await harness.StartAsync();
        await harness.SendAsync(AgentHarness.Start("job-a", epoch: 2));
        var running = await harness.NextProcessAsync();

        await harness.SendAsync(AgentHarness.Start("job-a", epoch: 1));
        await harness.SendAsync(AgentHarness.Start("job-a", epoch: 2));
        await harness.SendAsync(AgentHarness.Start("../barrier", epoch: 2));
        Assert.Equal("../barrier", (await harness.NextResultAsync()).JobId);

        Assert.False(harness.Jobs.Started.Reader.TryRead(out _), "no second process");
        Assert.False(running.StopRequested.IsCompleted);
        Assert.Equal(running.ProcessId, harness.Agent.JobProcesses["job-a"]);
    }

    [Fact]
    public async Task StartUnderANewerEpoch_StartsOnceThePreviousAttemptHasExited()
    {
        await using var harness = new AgentHarness();
        harness.Jobs.ExitOnStop = false;
        await harness.StartAsync();
        await harness.SendAsync(AgentHarness.Start("job-a", epoch: 1));
        var first = await harness.NextProcessAsync();

        await harness.SendAsync(AgentHarness.Start("job-a", epoch: 2, attempt: 2));
        Assert.Equal("superseded by lease epoch 2", await first.StopRequested.WaitAsync(AgentHarness.Timeout));
        Assert.False(harness.Jobs.Started.Reader.TryRead(out _), "two attempts never run side by side");

        first.Exit(143);
        var result = await harness.NextResultAsync();
        var second = await harness.NextProcessAsync();

        Assert.Equal(("job-a", 1L, JobState.Cancelled), (result.JobId, result.LeaseEpoch, result.Result.State));
        Assert.Equal(2, second.Launch.Request.Attempt);
        Assert.EndsWith("attempt-2", second.Launch.Request.WorkDirectory, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EventsRefusedAsStale_KillTheProcess_AndReportNoResult()
    {
        await using var harness = new AgentHarness();
        harness.Link.EventOutcome = (_, _) => ReportOutcome.Stale;
        await harness.StartAsync();
        await harness.SendAsync(AgentHarness.Start("job-a", epoch: 1));
        var process = await harness.NextProcessAsync();
        await harness.PollHeartbeatsAsync(h => h.Jobs.Count == 1);

        process.Emit(new ProgressReported(10, 100, 1, 0.5, 1000, 9));

        await harness.PollHeartbeatsAsync(h => h.Jobs.Count == 0);
        Assert.True(process.Killed);
        Assert.False(harness.Link.Results.Reader.TryRead(out var reported), $"a stale attempt reports no result, got {reported.Result}");
    }

    [Fact]
    public async Task CancelWhileTheAttemptWaitsToStart_ReportsItCancelledWithoutStartingIt()
    {
        await using var harness = new AgentHarness();
        harness.Jobs.ExitOnStop = false;
        await harness.StartAsync();
        await harness.SendAsync(AgentHarness.Start("job-a", epoch: 1));
        var first = await harness.NextProcessAsync();
        await harness.SendAsync(AgentHarness.Start("job-a", epoch: 2, attempt: 2));
        await first.StopRequested.WaitAsync(AgentHarness.Timeout);

        await harness.SendAsync(new CancelJob("job-a", "cancelled by the user"));
        await harness.SendAsync(AgentHarness.Start("../barrier", epoch: 2));
        Assert.Equal("../barrier", (await harness.NextResultAsync()).JobId);
        first.Exit(143);

        var results = new[] { await harness.NextResultAsync(), await harness.NextResultAsync() }.OrderBy(r => r.LeaseEpoch).ToList();
        Assert.Equal(JobState.Cancelled, results[0].Result.State);
        Assert.Equal((2L, JobState.Cancelled, "cancelled by the user (before its process started)"), (results[1].LeaseEpoch, results[1].Result.State, results[1].Result.Reason));
        Assert.False(harness.Jobs.Started.Reader.TryRead(out _), "the cancelled attempt never started");
    }
}
