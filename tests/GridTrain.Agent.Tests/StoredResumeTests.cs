using GridTrain.Agent.Tests.Fakes;
using GridTrain.Checkpoints.Stores;
using GridTrain.Domain.Jobs;

namespace GridTrain.Agent.Tests;

/// <summary>
/// A job resumed from a checkpoint in the Drive store runs from a local copy of it; what the agent reports must name
/// the stored checkpoint, never that copy (a path on one agent, gone with the attempt's directory).
/// </summary>
public sealed class StoredResumeTests
{
    [Fact]
    public async Task ResumedAtItsEnd_ProcessReportsTheFetchedCopy_ResultNamesTheStoredCheckpoint()
    {
        await using var drive = await DriveStore.StartAsync();
        var final = new SpooledCheckpoint("job-1", LeaseEpoch: 1, Attempt: 1, Step: 563, drive.Spool("job-1", 563), Metric: null);
        var stored = await drive.Store.StoreAsync(final, new UploadProgress(), CancellationToken.None);
        await using var harness = new AgentHarness(configure: drive.Configure);
        await harness.StartAsync();

        await harness.SendAsync(AgentHarness.Start("job-1", epoch: 2, attempt: 2) with { ResumeFrom = stored });
        var process = await harness.NextProcessAsync();
        var copy = process.Launch.Request.ResumeFrom;
        Assert.True(File.Exists(copy), $"the job process resumes from a local file, got '{copy}'");

        // What the built-in worker does when it resumes at its last step: it writes no checkpoint and names the one it resumed from.
        process.Exit(0, new TrainingFinished(563, 0.9, copy, "", 0));
        var (jobId, epoch, result) = await harness.NextResultAsync();

        Assert.Equal(("job-1", 2L, JobState.Succeeded), (jobId, epoch, result.State));
        Assert.Equal(stored, result.CheckpointUri);
    }
}
