using System.Security.Cryptography;
using System.Text.Json;
using GridTrain.Agent.Hosting;
using GridTrain.Checkpoints.Credentials;
using GridTrain.Checkpoints.Drive;
using GridTrain.Checkpoints.Stores;
using GridTrain.Testing.FakeDrive;

namespace GridTrain.Agent.Tests.Fakes;

/// <summary>
/// The fake Drive on loopback as an agent's checkpoint store (<see cref="Configure"/> for <see cref="AgentHarness"/>),
/// with spooled checkpoint files for scripted job processes and a store of its own for what a test puts there first.
/// </summary>
internal sealed class DriveStore : IAsyncDisposable
{
    private readonly HttpClient _http = new();
    private readonly string _rootFolderId;
    private readonly string _credentials;
    private readonly string _directory = Directory.CreateTempSubdirectory("gridtrain-agent-drive-").FullName;

    private DriveStore(FakeDriveServer drive)
    {
        Drive = drive;
        _rootFolderId = drive.CreateFolder("gridtrain");
        _credentials = drive.AuthorizedUserJson();
        File.WriteAllText(CredentialsFile, _credentials);
        var options = Options();
        Store = new DriveCheckpointStore(new DriveClient(_http, DriveCredentials.FromJson(_credentials, "test"), options), DriveRetry.Create(options, TimeProvider.System));
    }

    public FakeDriveServer Drive { get; }

    /// <summary>The same store as the agent's, for what a test stores before the agent runs.</summary>
    public DriveCheckpointStore Store { get; }

    private string CredentialsFile => Path.Combine(_directory, "drive.json");

    public static async Task<DriveStore> StartAsync() => new(await FakeDriveServer.StartAsync());

    /// <summary>Makes the agent store checkpoints here.</summary>
    public void Configure(AgentOptions options)
    {
        options.CheckpointStore = "gdrive";
        options.Drive = Options();
        options.Drive.CredentialsFile = CredentialsFile;
    }

    /// <summary>Writes a checkpoint file with the manifest a job process writes next to it; returns its path.</summary>
    public string Spool(string jobId, long step, int attempt = 1)
    {
        var bytes = RandomNumberGenerator.GetBytes(100_000);
        var path = Path.Combine(_directory, $"{jobId}-a{attempt}-{step}.bin");
        File.WriteAllBytes(path, bytes);
        File.WriteAllText(Path.ChangeExtension(path, ".json"), JsonSerializer.Serialize(new { format = 1, step, sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes)), jobId }));
        return path;
    }

    /// <summary>Whether the manifest a store URI names is on Drive (the checkpoint can be resumed from).</summary>
    public bool Holds(string uri) => Drive.AllFiles.Any(f => f.Id == DriveCheckpointUri.ManifestId(uri));

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await Drive.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private DriveOptions Options() => new()
    {
        Endpoint = Drive.Endpoint,
        RootFolderId = _rootFolderId,
        ChunkSize = DriveOptions.ChunkUnit,
        RetryBaseDelay = TimeSpan.Zero,
        RetryMaxDelay = TimeSpan.Zero,
    };
}
