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

        var deleted = await _h.Store.ApplyRetentionAsync("job-k", new RetentionPolicy(2, KeepBest: true), CancellationToken.None);

        Assert.Equal(2, deleted);
        Assert.Equal(["20", "40", "50"], _h.Manifests("job-k").Select(m => m.AppProperties["step"]).Order());
        Assert.Equal(["20", "40", "50"], _h.DataFiles("job-k").Select(m => m.AppProperties["step"]).Order());
    }

    [Fact]
    public async Task Retention_AStaleWritersLaterStep_CountsAsOlderThanTheCurrentEpoch()
    {
        await _h.Store.StoreAsync(_h.Spool("job-f", 300, size: 300_000, epoch: 1), new UploadProgress(), CancellationToken.None);
        await _h.Store.StoreAsync(_h.Spool("job-f", 250, size: 300_000, epoch: 2), new UploadProgress(), CancellationToken.None);

        await _h.Store.ApplyRetentionAsync("job-f", new RetentionPolicy(1, KeepBest: false), CancellationToken.None);

        var kept = Assert.Single(_h.Manifests("job-f"));
        Assert.Equal("2", kept.AppProperties["epoch"]);
        Assert.Equal("250", kept.AppProperties["step"]);
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
