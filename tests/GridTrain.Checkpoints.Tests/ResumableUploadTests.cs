using GridTrain.Checkpoints.Stores;

namespace GridTrain.Checkpoints.Tests;

/// <summary>The requests a resumable upload costs when nothing goes wrong.</summary>
public sealed class ResumableUploadTests : IAsyncLifetime
{
    private DriveHarness _h = null!;

    public async Task InitializeAsync() => _h = await DriveHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Upload_FreshSession_SendsTheFirstChunkWithoutAskingHowFarItGot()
    {
        // 1,300,000 bytes in 256 KiB chunks: four full chunks and a last one.
        var checkpoint = _h.Spool("job-f", 100, size: 1_300_000);

        await _h.Store.StoreAsync(checkpoint, new UploadProgress(), CancellationToken.None);

        Assert.Equal(1, _h.Drive.SessionsStarted);
        Assert.Equal(0, _h.Drive.StatusQueries);
        Assert.Equal(5, _h.Drive.ChunkRequests);
        Assert.Single(_h.Manifests("job-f"));
    }
}
