using System.Text.Json;
using GridTrain.Agent.Reporting;
using GridTrain.Agent.Tests.Fakes;
using GridTrain.Domain.Jobs;

namespace GridTrain.Agent.Tests;

/// <summary>Shutdown completes within its grace even when the controller is unreachable; what was not reported is kept and reported after the next registration.</summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task ControllerUnreachable_ShutdownEndsWithinItsGrace_AndTheNextStartReportsWhatWasLeft()
    {
        var workDirectory = Directory.CreateTempSubdirectory("gridtrain-agent-shutdown-").FullName;
        try
        {
            await using (var harness = new AgentHarness(workDirectory))
            {
                await harness.StartAsync();
                await harness.SendAsync(AgentHarness.Start("job-a", epoch: 3));
                var process = await harness.NextProcessAsync();
                harness.Link.Unreachable = true;
                process.Emit(new CheckpointWritten(10, "/spool/job-a/step-10.pt"));
                await harness.Link.EventsTried.Reader.ReadAsync().AsTask().WaitAsync(AgentHarness.Timeout);

                var stopping = harness.StopAsync();
                Assert.Equal("agent shutting down", await process.StopRequested.WaitAsync(AgentHarness.Timeout));
                harness.Time.Advance(AgentHarness.ShutdownGrace - TimeSpan.FromMilliseconds(1));
                Assert.False(stopping.IsCompleted, "the reports still have the rest of the grace");
                harness.Time.Advance(TimeSpan.FromMilliseconds(1));
                await stopping.WaitAsync(AgentHarness.Timeout);
            }

            var saved = JsonSerializer.Deserialize<UnreportedAttempt>(
                await File.ReadAllTextAsync(Path.Combine(workDirectory, "unreported", "job-a.3.json")),
                WorkerProtocol.JsonOptions)!;
            Assert.Equal(new CheckpointWritten(10, "/spool/job-a/step-10.pt"), Assert.Single(saved.Events).Data);
            Assert.Equal((JobState.Cancelled, "agent shutting down"), (saved.Result!.State, saved.Result.Reason));

            await using (var restarted = new AgentHarness(workDirectory))
            {
                await restarted.StartAsync();
                var events = await restarted.Link.Events.Reader.ReadAsync().AsTask().WaitAsync(AgentHarness.Timeout);
                var result = await restarted.NextResultAsync();
                Assert.Equal(("job-a", 3L, 1L), (events.JobId, events.LeaseEpoch, Assert.Single(events.Events).AgentSequence));
                Assert.Equal(("job-a", 3L, JobState.Cancelled), (result.JobId, result.LeaseEpoch, result.Result.State));
                await restarted.StopAsync().WaitAsync(AgentHarness.Timeout);
            }

            Assert.False(File.Exists(Path.Combine(workDirectory, "unreported", "job-a.3.json")), "a reported attempt is forgotten");
        }
        finally
        {
            Directory.Delete(workDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task ControllerReachable_ShutdownReportsTheStoppedJob_AndSavesNothing()
    {
        await using var harness = new AgentHarness();
        await harness.StartAsync();
        await harness.SendAsync(AgentHarness.Start("job-a", epoch: 1));
        await harness.NextProcessAsync();

        await harness.StopAsync().WaitAsync(AgentHarness.Timeout);

        var result = await harness.NextResultAsync();
        Assert.Equal((JobState.Cancelled, "agent shutting down"), (result.Result.State, result.Result.Reason));
        Assert.False(Directory.Exists(Path.Combine(harness.WorkDirectory, "unreported")));
    }
}
