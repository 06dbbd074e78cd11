using System.Security.Cryptography;
using System.Text.Json;
using GridTrain.Checkpoints.Credentials;
using GridTrain.Checkpoints.Drive;
using GridTrain.Checkpoints.Stores;
using GridTrain.Testing.FakeDrive;
using Microsoft.Extensions.Logging.Abstractions;

namespace GridTrain.Checkpoints.Tests;

/// <summary>A fake Drive on loopback, a client with real OAuth (refresh token or service account) against it, and a spool of checkpoint files.</summary>
public sealed class DriveHarness : IAsyncDisposable
{
    private readonly HttpClient _http = new();

    private DriveHarness(FakeDriveServer drive, string root, string credentialsJson)
    {
        Drive = drive;
        Root = root;
        RootFolderId = drive.CreateFolder("gridtrain");
        Options = new DriveOptions
        {
            Endpoint = drive.Endpoint,
            RootFolderId = RootFolderId,
            ChunkSize = DriveOptions.ChunkUnit,
            DownloadRangeSize = 300_000,
            RetryBaseDelay = TimeSpan.Zero,
            RetryMaxDelay = TimeSpan.Zero,
            MaxRetries = 5,
        };
        Client = new DriveClient(_http, DriveCredentials.FromJson(credentialsJson, "test"), Options);
        Store = new DriveCheckpointStore(Client, DriveRetry.Create(Options, TimeProvider.System));
    }

    public FakeDriveServer Drive { get; }

    public string Root { get; }

    public string RootFolderId { get; }

    public DriveOptions Options { get; }

    public DriveClient Client { get; }

    public DriveCheckpointStore Store { get; }

    /// <param name="credentials">The client's credentials JSON, from the fake; an <c>authorized_user</c> file when null.</param>
    public static async Task<DriveHarness> StartAsync(Func<FakeDriveServer, string>? credentials = null)
    {
        var drive = await FakeDriveServer.StartAsync();
        return new(drive, Directory.CreateTempSubdirectory("gridtrain-drive-").FullName, (credentials ?? (d => d.AuthorizedUserJson()))(drive));
    }

    /// <summary>Writes a checkpoint file of <paramref name="size"/> random bytes with a job-process manifest next to it.</summary>
    public SpooledCheckpoint Spool(string jobId, long step, int size = 1_300_000, long epoch = 1, double? metric = null)
    {
        var bytes = RandomNumberGenerator.GetBytes(size);
        var path = Path.Combine(Root, $"{jobId}-{step}-e{epoch}.bin");
        File.WriteAllBytes(path, bytes);
        File.WriteAllText(Path.ChangeExtension(path, ".json"), JsonSerializer.Serialize(new { format = 1, file = Path.GetFileName(path), step, sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes)), sizeBytes = size, jobId }));
        return new SpooledCheckpoint(jobId, epoch, 1, step, path, metric);
    }

    /// <summary>Manifests visible in a job's folder (what a reader can resume from).</summary>
    public IReadOnlyList<FakeDriveFile> Manifests(string jobId) =>
        Drive.AllFiles.Where(f => f.AppProperties.TryGetValue("job", out var j) && j == jobId && f.AppProperties.GetValueOrDefault("kind") == "manifest").ToList();

    public IReadOnlyList<FakeDriveFile> DataFiles(string jobId) =>
        Drive.AllFiles.Where(f => f.AppProperties.TryGetValue("job", out var j) && j == jobId && f.AppProperties.GetValueOrDefault("kind") == "data").ToList();

    public static NullLogger Logger => NullLogger.Instance;

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await Drive.DisposeAsync();
        Directory.Delete(Root, recursive: true);
    }
}
