using GridTrain.Agent.Connection;
using GridTrain.Agent.Tests.Fakes;
using GridTrain.Domain.Jobs;

namespace GridTrain.Agent.Tests;

/// <summary>
/// Checkpoints a stale lease uploaded are taken off the store again, but only those the controller cannot have
/// committed: a report refused on a retry may have been applied by its unanswered first try, and the job's next
/// attempt may resume from its checkpoint.
/// </summary>
public sealed class StaleUploadTests
{
    [Fact]
    public async Task ReportRefusedAsStale_DeletesItsUploadedCheckpoint()
    {
        await using var drive = await DriveStore.StartAsync();

        var stored = await UploadRefusedAsync(drive, ReportOutcome.Stale);

        Assert.False(drive.Holds(stored), $"{stored} was uploaded under a lease that was gone and never committed");
    }

    [Fact]
    public async Task RetriedReportRefusedAsStale_KeepsItsUploadedCheckpoint()
    {
        await using var drive = await DriveStore.StartAsync();

        var stored = await UploadRefusedAsync(drive, ReportOutcome.StaleAfterRetry);

        Assert.True(drive.Holds(stored), $"{stored} may be the job's committed checkpoint");
    }

    /// <summary>A job's checkpoint is uploaded and its report refused with <paramref name="refusal"/>; returns its URI once the agent has stopped (its background work done).</summary>
    private static async Task<string> UploadRefusedAsync(DriveStore drive, ReportOutcome refusal)
    {
        await using var harness = new AgentHarness(configure: drive.Configure);
        harness.Link.EventOutcome = (_, _) => refusal;
        await harness.StartAsync();
        await harness.SendAsync(AgentHarness.Start("job-a", epoch: 1));
        var process = await harness.NextProcessAsync();

        process.Emit(new CheckpointWritten(25, drive.Spool("job-a", 25)));
        var (_, _, events) = await harness.Link.Events.Reader.ReadAsync().AsTask().WaitAsync(AgentHarness.Timeout);
        var stored = events.Select(e => e.Data).OfType<CheckpointWritten>().Single().Uri;
        await harness.PollHeartbeatsAsync(h => h.Jobs.Count == 0);
        await harness.StopAsync();
        return stored;
    }
}
