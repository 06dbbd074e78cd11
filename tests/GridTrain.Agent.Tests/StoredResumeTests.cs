using System.Security.Cryptography;
using System.Text.Json;
using GridTrain.Agent.Tests.Fakes;
using GridTrain.Checkpoints.Credentials;
using GridTrain.Checkpoints.Drive;
using GridTrain.Checkpoints.Stores;
using GridTrain.Domain.Jobs;
using GridTrain.Testing.FakeDrive;

namespace GridTrain.Agent.Tests;

/// <summary>
/// A job resumed from a checkpoint in the Drive store runs from a local copy of it; what the agent reports must name
/// the stored checkpoint, never that copy (a path on one agent, gone with the attempt's directory).
/// </summary>
public sealed class StoredResumeTests : IAsyncLifetime
{
    private const string JobId = "job-1";
    private const long FinalStep = 563;

    private FakeDriveServer _drive = null!;
    private string _rootFolderId = "";
    private string _credentials = "";
    private string _directory = "";

    public async Task InitializeAsync()
    {
        _drive = await FakeDriveServer.StartAsync();
        _rootFolderId = _drive.CreateFolder("gridtrain");
        _credentials = _drive.AuthorizedUserJson();
        _directory = Directory.CreateTempSubdirectory("gridtrain-stored-resume-").FullName;
        await File.WriteAllTextAsync(Path.Combine(_directory, "drive.json"), _credentials);
    }

    public async Task DisposeAsync()
    {
        await _drive.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task ResumedAtItsEnd_ProcessReportsTheFetchedCopy_ResultNamesTheStoredCheckpoint()
    {
        var stored = await StoreFinalCheckpointAsync();
        await using var harness = new AgentHarness(configure: UseDrive);
        await harness.StartAsync();

        await harness.SendAsync(AgentHarness.Start(JobId, epoch: 2, attempt: 2) with { ResumeFrom = stored });
        var process = await harness.NextProcessAsync();
        var copy = process.Launch.Request.ResumeFrom;
        Assert.NotNull(copy);
        Assert.True(File.Exists(copy), $"the job process resumes from a local file, got '{copy}'");

        // What the built-in worker does when it resumes at its last step: it writes no checkpoint and names the one it resumed from.
        process.Exit(0, new TrainingFinished(FinalStep, 0.9, copy, "", 0));
        var (jobId, epoch, result) = await harness.NextResultAsync();

        Assert.Equal((JobId, 2L, JobState.Succeeded), (jobId, epoch, result.State));
        Assert.Equal(stored, result.CheckpointUri);
    }

    private void UseDrive(Hosting.AgentOptions options)
    {
        options.CheckpointStore = "gdrive";
        options.Drive = Options();
        options.Drive.CredentialsFile = Path.Combine(_directory, "drive.json");
    }

    private DriveOptions Options() => new()
    {
        Endpoint = _drive.Endpoint,
        RootFolderId = _rootFolderId,
        ChunkSize = DriveOptions.ChunkUnit,
        RetryBaseDelay = TimeSpan.Zero,
        RetryMaxDelay = TimeSpan.Zero,
    };

    /// <summary>Stores the checkpoint an earlier attempt committed at the job's last step, as its agent would have; returns its URI.</summary>
    private async Task<string> StoreFinalCheckpointAsync()
    {
        var bytes = RandomNumberGenerator.GetBytes(100_000);
        var path = Path.Combine(_directory, "spooled-final.bin");
        await File.WriteAllBytesAsync(path, bytes);
        await File.WriteAllTextAsync(Path.ChangeExtension(path, ".json"), JsonSerializer.Serialize(new { format = 1, step = FinalStep, sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes)), jobId = JobId }));

        using var http = new HttpClient();
        var options = Options();
        var store = new DriveCheckpointStore(new DriveClient(http, DriveCredentials.FromJson(_credentials, "test"), options), DriveRetry.Create(options, TimeProvider.System));
        return await store.StoreAsync(new SpooledCheckpoint(JobId, 1, 1, FinalStep, path, null), new UploadProgress(), CancellationToken.None);
    }
}
