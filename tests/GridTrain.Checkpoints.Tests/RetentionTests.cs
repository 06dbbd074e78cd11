using GridTrain.Checkpoints.Stores;

namespace GridTrain.Checkpoints.Tests;

public sealed class RetentionTests : IAsyncLifetime
{
    private DriveHarness _h = null!;

    public async Task InitializeAsync() => _h = await DriveHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Retention_KeepsTheLastKAndTheBest_DeletesTheRestFromDrive()
    {
        double?[] metrics = [0.5, 0.9, 0.6, null, 0.7];
        for (var i = 0; i < metrics.Length; i++)
        {
            await _h.Store.StoreAsync(_h.Spool("job-k", (i + 1) * 10, size: 300_000, metric: metrics[i]), new UploadProgress(), CancellationToken.None);
        }

        var deleted = await _h.Store.ApplyRetentionAsync("job-k", new RetentionPolicy(2, KeepBest: true, Committed: (1, 50)), CancellationToken.None);

        Assert.Equal(2, deleted);
        Assert.Equal(["20", "40", "50"], _h.Manifests("job-k").Select(m => m.AppProperties["step"]).Order());
        Assert.Equal(["20", "40", "50"], _h.DataFiles("job-k").Select(m => m.AppProperties["step"]).Order());
    }

    [Fact]
    public async Task Retention_AStaleWritersLaterStep_CountsAsOlderThanTheCurrentEpoch()
    {
        await _h.Store.StoreAsync(_h.Spool("job-f", 300, size: 300_000, epoch: 1), new UploadProgress(), CancellationToken.None);
        await _h.Store.StoreAsync(_h.Spool("job-f", 250, size: 300_000, epoch: 2), new UploadProgress(), CancellationToken.None);

        await _h.Store.ApplyRetentionAsync("job-f", new RetentionPolicy(1, KeepBest: false, Committed: (2, 250)), CancellationToken.None);

        var kept = Assert.Single(_h.Manifests("job-f"));
        Assert.Equal("2", kept.AppProperties["epoch"]);
        Assert.Equal("250", kept.AppProperties["step"]);
    }

    [Fact]
    public async Task Retention_NewerUploadsNotYetCommitted_KeepsThemAndTheCommittedOne()
    {
        for (var step = 10; step <= 50; step += 10)
        {
            await _h.Store.StoreAsync(_h.Spool("job-n", step, size: 300_000), new UploadProgress(), CancellationToken.None);
        }

        // Retention for the commit of step 30, late: 40 and 50 are uploaded but their reports not yet accepted.
        var deleted = await _h.Store.ApplyRetentionAsync("job-n", new RetentionPolicy(2, KeepBest: false, Committed: (1, 30)), CancellationToken.None);

        Assert.Equal(1, deleted);
        Assert.Equal(["20", "30", "40", "50"], _h.Manifests("job-n").Select(m => m.AppProperties["step"]).Order());
        Assert.Equal(["20", "30", "40", "50"], _h.DataFiles("job-n").Select(m => m.AppProperties["step"]).Order());
    }

    [Fact]
    public async Task Retention_ByAStaleAttempt_LeavesTheNewerLeasesCheckpoints()
    {
        await _h.Store.StoreAsync(_h.Spool("job-s", 300, size: 300_000, epoch: 1), new UploadProgress(), CancellationToken.None);
        for (var step = 310; step <= 330; step += 10)
        {
            await _h.Store.StoreAsync(_h.Spool("job-s", step, size: 300_000, epoch: 2), new UploadProgress(), CancellationToken.None);
        }

        // The epoch-1 attempt's retention for its last commit runs after the job moved on to lease epoch 2.
        var deleted = await _h.Store.ApplyRetentionAsync("job-s", new RetentionPolicy(2, KeepBest: false, Committed: (1, 300)), CancellationToken.None);

        Assert.Equal(0, deleted);
        Assert.Equal(["1/300", "2/310", "2/320", "2/330"], _h.Manifests("job-s").Select(m => $"{m.AppProperties["epoch"]}/{m.AppProperties["step"]}").Order());
    }

    [Fact]
    public async Task Resume_CommittedCheckpointGone_FallsBackToTheNewestValidOneNotNewer()
    {
        var older = _h.Spool("job-v", 10, size: 300_000);
        var olderUri = await _h.Store.StoreAsync(older, new UploadProgress(), CancellationToken.None);
        var committed = await _h.Store.StoreAsync(_h.Spool("job-v", 20, size: 300_000), new UploadProgress(), CancellationToken.None);
        await _h.Store.StoreAsync(_h.Spool("job-v", 30, size: 300_000, epoch: 1), new UploadProgress(), CancellationToken.None);
        await _h.Client.DeleteAsync(DriveCheckpointUri.ManifestId(committed)!, CancellationToken.None);

        var fetched = await _h.Store.FetchForResumeAsync("job-v", committed, Path.Combine(_h.Root, "fetched"), CancellationToken.None);

        Assert.Equal(await File.ReadAllBytesAsync(older.Path), await File.ReadAllBytesAsync(fetched.Path));
        Assert.Equal(olderUri, fetched.Uri);
    }

    [Fact]
    public async Task Delete_AStaleUpload_RemovesManifestAndFile()
    {
        var uri = await _h.Store.StoreAsync(_h.Spool("job-x", 10, size: 300_000), new UploadProgress(), CancellationToken.None);

        await _h.Store.DeleteAsync(uri, CancellationToken.None);

        Assert.Empty(_h.Manifests("job-x"));
        Assert.Empty(_h.DataFiles("job-x"));
    }
}
