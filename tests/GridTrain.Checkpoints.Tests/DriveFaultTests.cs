using GridTrain.Checkpoints.Drive;
using GridTrain.Checkpoints.Stores;
using GridTrain.Checkpoints.Uploads;
using GridTrain.Testing.FakeDrive;

namespace GridTrain.Checkpoints.Tests;

/// <summary>Every fault Drive produces ends in a verified checkpoint or a clear permanent error, never a partial visible one.</summary>
public sealed class DriveFaultTests : IAsyncLifetime
{
    private DriveHarness _h = null!;

    public async Task InitializeAsync() => _h = await DriveHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Theory]
    [InlineData(FakeDriveFault.ServerErrorAfterPartialCommit)]
    [InlineData(FakeDriveFault.DropConnection)]
    [InlineData(FakeDriveFault.ShortAcknowledge)]
    [InlineData(FakeDriveFault.TooManyRequests)]
    [InlineData(FakeDriveFault.RateLimited)]
    [InlineData(FakeDriveFault.ExpiredToken)]
    [InlineData(FakeDriveFault.ExpiredSession)]
    public async Task Upload_TransientFaultMidUpload_EndsInAVerifiedCheckpoint(FakeDriveFault fault)
    {
        var checkpoint = _h.Spool("job-a", 100);
        // Twice in a row (the retry of the failed chunk fails again), except 401: a refreshed token that is refused too is final.
        var times = fault == FakeDriveFault.ExpiredToken ? 1 : 2;
        _h.Drive.Inject(fault, FakeDriveTarget.UploadChunk, count: times);

        var uri = await _h.Store.StoreAsync(checkpoint, new UploadProgress(), CancellationToken.None);

        Assert.Equal(times, _h.Drive.FaultsFired);
        var manifest = Assert.Single(_h.Manifests("job-a"));
        Assert.StartsWith(DriveCheckpointUri.Format(manifest.Id, ""), uri, StringComparison.Ordinal);
        var fetched = await _h.Store.FetchAsync(uri, Path.Combine(_h.Root, "fetched"), CancellationToken.None);
        Assert.Equal(await File.ReadAllBytesAsync(checkpoint.Path), await File.ReadAllBytesAsync(fetched));
        Assert.True(File.Exists(Path.ChangeExtension(fetched, ".json")), "the job process's manifest comes back beside the file");
        if (fault == FakeDriveFault.ExpiredSession)
        {
            Assert.Equal(3, _h.Drive.SessionsStarted);
        }
        else
        {
            Assert.Equal(1, _h.Drive.SessionsStarted);
        }
    }

    [Theory]
    [InlineData(FakeDriveFault.TooManyRequests)]
    [InlineData(FakeDriveFault.ServerErrorAfterPartialCommit)]
    [InlineData(FakeDriveFault.ExpiredToken)]
    [InlineData(FakeDriveFault.DropConnection)]
    public async Task Upload_FaultOnOtherCalls_StillVerified(FakeDriveFault fault)
    {
        var checkpoint = _h.Spool("job-b", 200);
        _h.Drive.Inject(fault, FakeDriveTarget.UploadStart);
        _h.Drive.Inject(fault, FakeDriveTarget.Any);

        var uri = await _h.Store.StoreAsync(checkpoint, new UploadProgress(), CancellationToken.None);

        Assert.Single(_h.Manifests("job-b"));
        var fetched = await _h.Store.FetchAsync(uri, Path.Combine(_h.Root, "fetched"), CancellationToken.None);
        Assert.Equal(await File.ReadAllBytesAsync(checkpoint.Path), await File.ReadAllBytesAsync(fetched));
    }

    [Fact]
    public async Task Upload_StorageQuotaExceeded_FailsAtOnceWithTheReason_AndNothingIsVisible()
    {
        var checkpoint = _h.Spool("job-q", 300);
        _h.Drive.Inject(FakeDriveFault.StorageQuotaExceeded, FakeDriveTarget.UploadChunk, count: 100);
        await using var uploader = new CheckpointUploader(_h.Store, Path.Combine(_h.Root, "uploads"), DriveHarness.Logger);

        var stored = uploader.EnqueueAsync(checkpoint);
        var error = await Assert.ThrowsAsync<DriveException>(() => stored);

        Assert.Equal("storageQuotaExceeded", error.Reason);
        Assert.False(error.IsTransient);
        Assert.Equal(1, _h.Drive.FaultsFired);
        Assert.Empty(_h.Manifests("job-q"));
        Assert.Empty(Directory.GetFiles(Path.Combine(_h.Root, "uploads")));
        Assert.Equal(0, uploader.Backlog);
    }

    [Fact]
    public async Task Upload_TransientFaultsNeverEnd_FailsAfterTheRetries_WithNothingVisible()
    {
        var checkpoint = _h.Spool("job-r", 400);
        _h.Drive.Inject(FakeDriveFault.ServerErrorAfterPartialCommit, FakeDriveTarget.UploadChunk, count: 1000);

        var error = await Assert.ThrowsAsync<DriveException>(() => _h.Store.StoreAsync(checkpoint, new UploadProgress(), CancellationToken.None));

        Assert.True(error.IsTransient);
        Assert.Equal(_h.Options.MaxRetries + 1, _h.Drive.FaultsFired);
        Assert.Empty(_h.Manifests("job-r"));
    }

    [Fact]
    public async Task Uploader_ProcessDiesMidUpload_NextProcessResumesTheSameSession()
    {
        var checkpoint = _h.Spool("job-s", 500);
        var state = Path.Combine(_h.Root, "uploads");
        var held = _h.Drive.HoldNextChunk();
        var first = new CheckpointUploader(_h.Store, state, DriveHarness.Logger);
        var abandoned = first.EnqueueAsync(checkpoint);
        await held.WaitAsync(TimeSpan.FromMinutes(1));

        await first.DisposeAsync();
        _h.Drive.Release();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        Assert.Single(Directory.GetFiles(state, "*.json"));

        await using var second = new CheckpointUploader(_h.Store, state, DriveHarness.Logger);
        var (recovered, stored) = Assert.Single(second.Recover());
        var uri = await stored.WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(500, recovered.Step);
        Assert.Equal(1, _h.Drive.SessionsStarted);
        Assert.Equal(1, _h.Drive.StatusQueries);
        Assert.Single(_h.Manifests("job-s"));
        Assert.Empty(Directory.GetFiles(state, "*.json"));
        var fetched = await _h.Store.FetchAsync(uri, Path.Combine(_h.Root, "fetched"), CancellationToken.None);
        Assert.Equal(await File.ReadAllBytesAsync(checkpoint.Path), await File.ReadAllBytesAsync(fetched));
    }

    [Fact]
    public async Task Fetch_LargeCheckpoint_IsDownloadedInRanges_AndChecked()
    {
        var checkpoint = _h.Spool("job-d", 600, size: 1_000_000);
        var uri = await _h.Store.StoreAsync(checkpoint, new UploadProgress(), CancellationToken.None);
        _h.Drive.Inject(FakeDriveFault.DropConnection, FakeDriveTarget.Download);

        var fetched = await _h.Store.FetchAsync(uri, Path.Combine(_h.Root, "fetched"), CancellationToken.None);

        Assert.True(_h.Drive.RangedDownloads >= 4, $"{_h.Drive.RangedDownloads} ranged downloads");
        Assert.Equal(await File.ReadAllBytesAsync(checkpoint.Path), await File.ReadAllBytesAsync(fetched));
    }
}
