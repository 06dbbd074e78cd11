using System.Security.Cryptography;
using GridTrain.Checkpoints.Credentials;
using GridTrain.Checkpoints.Datasets;
using GridTrain.Checkpoints.Drive;

namespace GridTrain.Checkpoints.Tests;

public sealed class DatasetCacheTests : IAsyncLifetime
{
    private DriveHarness _h = null!;

    public async Task InitializeAsync() => _h = await DriveHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Dataset_DownloadedOnce_ThenServedFromTheCache_UntilItsContentChanges()
    {
        var folder = _h.Drive.CreateFolder("fashion", _h.RootFolderId);
        var images = RandomNumberGenerator.GetBytes(700_000);
        _h.Drive.AddFile(folder, "train-images-idx3-ubyte.gz", images);
        _h.Drive.AddFile(folder, "train-labels-idx1-ubyte.gz", RandomNumberGenerator.GetBytes(1000));
        _h.Drive.AddFile(folder, "README.txt", [1, 2, 3]);
        var cache = Cache();

        var first = await cache.GetAsync(folder, CancellationToken.None);
        var downloads = _h.Drive.RangedDownloads;
        var second = await cache.GetAsync(folder, CancellationToken.None);

        Assert.Equal(first, second);
        Assert.Equal(downloads, _h.Drive.RangedDownloads);
        Assert.Equal(images, await File.ReadAllBytesAsync(Path.Combine(first, "train-images-idx3-ubyte.gz")));
        Assert.Equal(["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"], Directory.GetFiles(first).Select(Path.GetFileName).Order());

        _h.Drive.AddFile(folder, "t10k-images-idx3-ubyte.gz", RandomNumberGenerator.GetBytes(100));
        var third = await cache.GetAsync(folder, CancellationToken.None);
        Assert.NotEqual(first, third);
    }

    [Fact]
    public async Task SingleFile_DownloadedOnce_UnderAPlainName_ThenServedFromTheCache()
    {
        var module = RandomNumberGenerator.GetBytes(300_000);
        var fileId = _h.Drive.AddFile(_h.RootFolderId, "../models/small-cnn.pt", module);
        var cache = Cache();

        var first = await cache.GetFileAsync(fileId, CancellationToken.None);
        var downloads = _h.Drive.RangedDownloads;
        var second = await cache.GetFileAsync(fileId, CancellationToken.None);

        Assert.Equal(first, second);
        Assert.Equal(downloads, _h.Drive.RangedDownloads);
        Assert.Equal("small-cnn.pt", Path.GetFileName(first));
        Assert.StartsWith(Path.Combine(_h.Root, "datasets", "files") + Path.DirectorySeparatorChar, first, StringComparison.Ordinal);
        Assert.Equal(module, await File.ReadAllBytesAsync(first));
        var copy = _h.Drive.AddFile(_h.RootFolderId, "renamed.pt", module);
        Assert.Equal(first, await cache.GetFileAsync(copy, CancellationToken.None));
        Assert.Equal(downloads, _h.Drive.RangedDownloads);
    }

    [Fact]
    public async Task SingleFile_AFolderInstead_SaysSo()
    {
        var folder = _h.Drive.CreateFolder("not-a-module", _h.RootFolderId);
        var cache = Cache();

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => cache.GetFileAsync(folder, CancellationToken.None));

        Assert.Contains("is not a file with content", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dataset_FolderWithoutIdxFiles_SaysSo()
    {
        var folder = _h.Drive.CreateFolder("empty", _h.RootFolderId);
        var cache = Cache();

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => cache.GetAsync(folder, CancellationToken.None));

        Assert.Contains("holds no IDX files", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Credentials_UnknownType_NamesTheSourceAndNeverTheSecret()
    {
        var error = Assert.Throws<InvalidOperationException>(() => DriveCredentials.FromJson("""{"type":"external_account","private_key":"SECRET-KEY"}""", "/etc/gridtrain/drive.json"));

        Assert.Contains("/etc/gridtrain/drive.json", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Credentials_AuthorizedUserWithoutRefreshToken_NamesTheField()
    {
        var error = Assert.Throws<InvalidOperationException>(() => DriveCredentials.FromJson("""{"type":"authorized_user","client_id":"c","client_secret":"s3cr3t"}""", "drive.json"));

        Assert.Contains("refresh_token", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A cache under the harness' root, reading from its Drive with its retry policy.</summary>
    private DatasetCache Cache() => new DatasetCache(_h.Client, DriveRetry.Create(_h.Options, TimeProvider.System), Path.Combine(_h.Root, "datasets"));
}
