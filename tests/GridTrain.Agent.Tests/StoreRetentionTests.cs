using GridTrain.Agent.Connection;
using GridTrain.Agent.Tests.Fakes;
using GridTrain.Domain.Jobs;

namespace GridTrain.Agent.Tests;

/// <summary>
/// The store's retention runs in the background after a report is committed and may run late (Drive retries): it must
/// not count uploads whose reports are still unanswered, since those may yet be refused as stale and deleted, taking
/// the job's only resume point with them.
/// </summary>
public sealed class StoreRetentionTests
{
    [Fact]
    public async Task RetentionRunsWhileNewerUploadsAreUnconfirmed_ThoseRefusedAsStale_CommittedCheckpointSurvives()
    {
        await using var drive = await DriveStore.StartAsync();
        await using var harness = new AgentHarness(configure: drive.Configure);
        var reports = 0;
        harness.Link.EventOutcome = (_, _) => Interlocked.Increment(ref reports) == 1 ? ReportOutcome.Committed : ReportOutcome.Stale;
        var firstReport = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        harness.Link.HoldEvents = firstReport.Task;
        await harness.StartAsync();
        await harness.SendAsync(AgentHarness.Start("job-a", epoch: 1) with { Spec = AgentHarness.Spec() with { Checkpoint = new CheckpointPolicy { KeepLast = 2 } } });
        var process = await harness.NextProcessAsync();

        process.Emit(new CheckpointWritten(10, drive.Spool("job-a", 10)));
        var (_, _, events) = await harness.Link.EventsTried.Reader.ReadAsync().AsTask().WaitAsync(AgentHarness.Timeout);
        var committed = events.Select(e => e.Data).OfType<CheckpointWritten>().Single().Uri;

        // Two newer checkpoints reach Drive while the report of step 10 is in flight.
        process.Emit(new CheckpointWritten(20, drive.Spool("job-a", 20)));
        process.Emit(new CheckpointWritten(30, drive.Spool("job-a", 30)));
        await drive.Drive.When(() => Manifests(drive).Count == 3).WaitAsync(AgentHarness.Timeout);

        // Step 10 is committed; the report of 20 and 30 is answered (stale) only once retention has listed the job's folder.
        var folder = drive.Drive.AllFiles.Single(f => f.IsFolder && f.Name == "job-a").Id;
        harness.Link.HoldEvents = drive.Drive.When(() => drive.Drive.ListQueries.Any(q => q.StartsWith($"'{folder}' in parents", StringComparison.Ordinal)));
        firstReport.SetResult();
        await harness.PollHeartbeatsAsync(h => h.Jobs.Count == 0);
        await harness.StopAsync();

        Assert.True(drive.Holds(committed), $"{committed} is the job's committed checkpoint, the one its next attempt resumes from");
        Assert.Equal(["10"], Manifests(drive).Select(m => m.AppProperties["step"]));
    }

    private static List<Testing.FakeDrive.FakeDriveFile> Manifests(DriveStore drive) =>
        [.. drive.Drive.AllFiles.Where(f => f.AppProperties.GetValueOrDefault("kind") == "manifest")];
}
