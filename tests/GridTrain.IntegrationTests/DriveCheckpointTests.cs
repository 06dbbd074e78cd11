using GridTrain.Testing.Network;
using System.Buffers.Binary;
using System.Net;
using GridTrain.Checkpoints.Credentials;
using GridTrain.Checkpoints.Stores;
using GridTrain.Client;
using GridTrain.Controller.Hosting;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;
using GridTrain.Testing.FakeDrive;
using Xunit.Abstractions;

namespace GridTrain.IntegrationTests;

/// <summary>Checkpoints and datasets on (a fake of) Google Drive, with a real controller and real agent processes.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class DriveCheckpointTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly GridOptions s_fastFailover = new() { HeartbeatInterval = TimeSpan.FromMilliseconds(500), AgentTimeout = TimeSpan.FromSeconds(3), MaxJobAttempts = 3 };
    private readonly string _root = Directory.CreateTempSubdirectory("gridtrain-drive-e2e-").FullName;
    private readonly List<IAsyncDisposable> _cleanup = [];
    private FakeDriveServer _drive = null!;
    private string _rootFolder = "";
    private string _credentials = "";

    public async Task InitializeAsync()
    {
        _drive = await FakeDriveServer.StartAsync();
        _rootFolder = _drive.CreateFolder("gridtrain-checkpoints");
        _credentials = Path.Combine(_root, "drive-credentials.json");
        // A service account key file, as production agents use (the token endpoint verifies its signed assertions).
        await File.WriteAllTextAsync(_credentials, _drive.ServiceAccountJson());
    }

    public async Task DisposeAsync()
    {
        foreach (var item in Enumerable.Reverse(_cleanup))
        {
            if (item is AgentProcess agent)
            {
                // Shown with a failed test: what the agents saw is usually what explains it.
                output.WriteLine($"--- agent {agent.Name}:\n{agent.Output()}");
            }

            await item.DisposeAsync();
        }

        await _drive.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task AgentKilled_JobResumesOnAnotherAgentWithAnEmptySpool_FromTheDriveCopy()
    {
        var client = await StartControllerAsync();
        var first = Agent("agent-a", client.Address);
        await first.WaitForLineAsync("registered as", GridEvents.Timeout);
        var job = await client.Jobs.SubmitJobAsync(GridEvents.Batch(GridEvents.RecoveryJob()));
        var beforeKill = await client.UntilAsync(job.Id, e => e.Checkpoint?.Uri.StartsWith("gdrive:", StringComparison.Ordinal) == true);
        var orphan = JobProcesses.Find(job.Id)!.Value;

        await first.KillAsync();
        var second = Agent("agent-b", client.Address);

        var finished = await client.FinishedAsync(job.Id);
        Assert.True(finished.State == JobState.Succeeded, $"job ended {finished.State}: {finished.Result?.Reason}\nagent-b:\n{second.Output()}");
        Assert.Equal(2, finished.Attempt);
        Assert.Equal(900, finished.Result!.Steps);
        var events = await client.UntilAsync(job.Id, e => e.Sequence == finished.LastEventSequence);
        var moved = events.FindIndex(e => e.StateChanged?.State == JobState.Queued && e.Sequence > beforeKill[^1].Sequence);
        var lastCheckpoint = events.Take(moved).Last(e => e.KindCase == JobEvent.KindOneofCase.Checkpoint).Checkpoint;
        Assert.StartsWith("gdrive:", lastCheckpoint.Uri, StringComparison.Ordinal);
        Assert.Equal(lastCheckpoint.Uri, finished.ResumedFrom);
        Assert.StartsWith("gdrive:", finished.Result.CheckpointUri, StringComparison.Ordinal);
        Assert.All(events.Where(e => e.KindCase == JobEvent.KindOneofCase.Checkpoint), e => Assert.StartsWith("gdrive:", e.Checkpoint.Uri, StringComparison.Ordinal));

        var fetched = Directory.GetFiles(Path.Combine(second.WorkDirectory, "jobs", job.Id, "attempt-2", "resume"), "*.bin");
        Assert.Single(fetched);
        var firstProgressAfterMove = events.Skip(moved).First(e => e.KindCase == JobEvent.KindOneofCase.Progress).Progress;
        Assert.True(firstProgressAfterMove.Step > lastCheckpoint.Step, "the new attempt continues after the checkpoint it resumed from");
        Assert.False(JobProcesses.IsAlive(orphan), "the dead agent's job process stopped when its agent died");

        // Retention on Drive: the newest keep_last (3) plus the best by test accuracy, each with its file.
        var manifests = _drive.AllFiles.Where(f => f.AppProperties.GetValueOrDefault("job") == job.Id && f.AppProperties.GetValueOrDefault("kind") == "manifest").ToList();
        Assert.InRange(manifests.Count, 3, 4);
        Assert.Contains(manifests, m => finished.Result.CheckpointUri.StartsWith("gdrive:" + m.Id + "/", StringComparison.Ordinal));
        Assert.All(manifests, m => Assert.Contains(_drive.AllFiles, f => f.Id == m.AppProperties["data"]));
    }

    [Fact]
    public async Task AgentCutOff_ItsLaterUploadsNeverBecomeTheLatest_AndAreDeletedFromDrive()
    {
        var client = await StartControllerAsync();
        var proxy = new BlackholeProxy(client.Address);
        _cleanup.Add(proxy);
        var cutOff = Agent("agent-cut", proxy.Address);
        await cutOff.WaitForLineAsync("registered as", GridEvents.Timeout);
        var job = await client.Jobs.SubmitJobAsync(GridEvents.Batch(GridEvents.RecoveryJob()));
        var beforeCut = await client.UntilAsync(job.Id, e => e.Checkpoint?.Uri.StartsWith("gdrive:", StringComparison.Ordinal) == true);
        var staleEpoch = (await client.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = job.SessionId })).LeaseEpoch;
        var survivor = Agent("agent-ok", client.Address);
        await survivor.WaitForLineAsync("registered as", GridEvents.Timeout);

        proxy.Cut();
        var moved = await client.UntilAsync(job.Id, e => e.StateChanged?.State == JobState.Running && e.Sequence > beforeCut[^1].Sequence, beforeCut[^1].Sequence);
        var resuming = await client.Jobs.GetJobAsync(new GetJobRequest { JobId = job.Id });
        var newEpoch = (await client.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = job.SessionId })).LeaseEpoch;
        Assert.True(newEpoch > staleEpoch);
        Assert.StartsWith("gdrive:", resuming.ResumedFrom, StringComparison.Ordinal);
        Assert.Contains($"-e{staleEpoch}-", resuming.ResumedFrom, StringComparison.Ordinal);
        proxy.Heal();
        await cutOff.WaitForLineAsync("Deleted the stale checkpoint", GridEvents.Timeout);

        var finished = await client.FinishedAsync(job.Id);
        Assert.True(finished.State == JobState.Succeeded, $"job ended {finished.State}: {finished.Result?.Reason}\nsurvivor:\n{survivor.Output()}");
        var events = await client.UntilAsync(job.Id, e => e.Sequence == finished.LastEventSequence);
        var afterMove = events.Where(e => e.Sequence > moved[^1].Sequence && e.KindCase == JobEvent.KindOneofCase.Checkpoint).ToList();
        Assert.NotEmpty(afterMove);
        Assert.All(afterMove, e => Assert.Contains($"-e{newEpoch}-", e.Checkpoint.Uri, StringComparison.Ordinal));
        Assert.Contains($"-e{newEpoch}-", finished.Result!.CheckpointUri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DriveStorageQuotaExceeded_TrainingGoesOn_AndTheJobLogSaysWhy()
    {
        var client = await StartControllerAsync();
        _drive.Inject(FakeDriveFault.StorageQuotaExceeded, FakeDriveTarget.UploadStart, count: 10_000);
        var agent = Agent("agent-q", client.Address);
        await agent.WaitForLineAsync("registered as", GridEvents.Timeout);
        var spec = TwoAgentGridFixture.ShortJob();
        spec.Checkpoint.EverySteps = 2;

        var job = await client.Jobs.SubmitJobAsync(GridEvents.Batch(spec));
        var finished = await client.FinishedAsync(job.Id);

        Assert.True(finished.State == JobState.Succeeded, $"job ended {finished.State}: {finished.Result?.Reason}\n{agent.Output()}");
        var events = await client.UntilAsync(job.Id, e => e.Sequence == finished.LastEventSequence);
        var reasons = events.Where(e => e.KindCase == JobEvent.KindOneofCase.Log && e.Log.Stream == "agent").Select(e => e.Log.Text).ToList();
        Assert.NotEmpty(reasons);
        Assert.All(reasons, r => Assert.Contains("storageQuotaExceeded", r, StringComparison.Ordinal));
        Assert.All(events.Where(e => e.KindCase == JobEvent.KindOneofCase.Checkpoint), e => Assert.StartsWith(agent.WorkDirectory, e.Checkpoint.Uri, StringComparison.Ordinal));
        Assert.True(File.Exists(finished.Result!.CheckpointUri), "the checkpoint stays on the agent");
        Assert.DoesNotContain(_drive.AllFiles, f => f.AppProperties.GetValueOrDefault("kind") == "manifest");
    }

    [Fact]
    public async Task JobWithADriveDataset_TrainsFromTheAgentsCache()
    {
        var client = await StartControllerAsync();
        var dataset = _drive.CreateFolder("tiny-idx");
        _drive.AddFile(dataset, "train-images-idx3-ubyte", Images(256, 8));
        _drive.AddFile(dataset, "train-labels-idx1-ubyte", Labels(256));
        _drive.AddFile(dataset, "t10k-images-idx3-ubyte", Images(64, 8));
        _drive.AddFile(dataset, "t10k-labels-idx1-ubyte", Labels(64));
        var agent = Agent("agent-d", client.Address);
        await agent.WaitForLineAsync("registered as", GridEvents.Timeout);
        var spec = new JobSpec
        {
            Model = new ModelSpec { Name = "mlp", HiddenSizes = { 16 } },
            Data = new DataSpec { DriveFolderId = dataset },
            Hyperparameters = new Hyperparameters { Optimizer = "adam", LearningRate = 0.01, BatchSize = 32, Epochs = 1, Seed = 5 },
        };

        var job = await client.Jobs.SubmitJobAsync(GridEvents.Batch(spec));
        var finished = await client.FinishedAsync(job.Id);

        Assert.True(finished.State == JobState.Succeeded, $"job ended {finished.State}: {finished.Result?.Reason}\n{agent.Output()}");
        Assert.Equal(8, finished.Result!.Steps);
        var cached = Assert.Single(Directory.GetDirectories(Path.Combine(agent.WorkDirectory, "datasets")));
        Assert.Equal(4, Directory.GetFiles(cached).Length);
        Assert.Equal(dataset, finished.Spec.Data.DriveFolderId);
    }

    [Fact]
    public async Task TorchScriptModuleOnDrive_IsDownloadedOnce_AndTrains()
    {
        var client = await StartControllerAsync();
        var models = _drive.CreateFolder("models");
        var module = await File.ReadAllBytesAsync(Path.Combine(RepositoryRoot.Path, "examples", "torchscript", "small-cnn.pt"));
        var fileId = _drive.AddFile(models, "small-cnn.pt", module);
        var agent = Agent("agent-t", client.Address);
        await agent.WaitForLineAsync("registered as", GridEvents.Timeout);
        var spec = new JobSpec
        {
            Model = new ModelSpec { Name = "torchscript", Torchscript = new TorchScriptModel { DriveFileId = fileId } },
            Data = new DataSpec { Synthetic = new SyntheticData { TrainExamples = 256, TestExamples = 64 } },
            Hyperparameters = new Hyperparameters { Optimizer = "adam", LearningRate = 0.01, BatchSize = 32, Epochs = 1, Seed = 5 },
        };

        var first = await client.FinishedAsync((await client.Jobs.SubmitJobAsync(GridEvents.Batch(spec))).Id);
        var downloads = _drive.RangedDownloads;
        var second = await client.FinishedAsync((await client.Jobs.SubmitJobAsync(GridEvents.Batch(spec))).Id);

        Assert.True(first.State == JobState.Succeeded, $"job ended {first.State}: {first.Result?.Reason}\n{agent.Output()}");
        Assert.True(second.State == JobState.Succeeded, $"job ended {second.State}: {second.Result?.Reason}\n{agent.Output()}");
        Assert.Equal(8, first.Result!.Steps);
        Assert.Equal(fileId, first.Spec.Model.Torchscript.DriveFileId);
        var cached = Assert.Single(Directory.GetFiles(Path.Combine(agent.WorkDirectory, "datasets", "files"), "*.pt", SearchOption.AllDirectories));
        Assert.Equal(module, await File.ReadAllBytesAsync(cached));
        Assert.Equal(downloads, _drive.RangedDownloads);
    }

    [Theory]
    [InlineData(DriveCredentials.JsonVariable)] // the Helm chart's way: the key itself, from a Secret
    [InlineData("GOOGLE_APPLICATION_CREDENTIALS")] // application default credentials: a path to the key file
    public async Task AgentWithCredentialsFromItsEnvironment_StoresCheckpointsOnDrive(string variable)
    {
        var client = await StartControllerAsync();
        var environment = new Dictionary<string, string?>
        {
            ["GRIDTRAIN_DRIVE_CREDENTIALS"] = null,
            [DriveCredentials.JsonVariable] = null,
            ["GOOGLE_APPLICATION_CREDENTIALS"] = null,
        };
        environment[variable] = variable == "GOOGLE_APPLICATION_CREDENTIALS" ? _credentials : await File.ReadAllTextAsync(_credentials);
        var agent = AgentProcess.Start(client.Address, "agent-env", Path.Combine(_root, "agent-env"), extraArguments:
            ["--checkpoint-store", "gdrive", "--drive-root-folder", _rootFolder, "--drive-endpoint", _drive.Endpoint.ToString()],
            environment: environment);
        _cleanup.Add(agent);
        await agent.WaitForLineAsync("registered as", GridEvents.Timeout);
        var job = await client.Jobs.SubmitJobAsync(GridEvents.Batch(GridEvents.RecoveryJob()));

        var stored = await client.UntilAsync(job.Id, e => e.Checkpoint?.Uri.StartsWith("gdrive:", StringComparison.Ordinal) == true);
        await client.Jobs.CancelJobAsync(new CancelJobRequest { JobId = job.Id });

        // The manifest and the checkpoint file it names are both stored.
        var uri = stored[^1].Checkpoint.Uri;
        Assert.Contains(_drive.AllFiles, f => f.Id == DriveCheckpointUri.ManifestId(uri));
        Assert.Contains(_drive.AllFiles, f => f.Name == uri.Split('/')[^1] && f.Content is { Length: > 0 });
    }

    [Fact]
    public async Task AgentWithUnusableDriveCredentials_RefusesToStart_WithoutPrintingTheSecret()
    {
        var bad = Path.Combine(_root, "bad.json");
        await File.WriteAllTextAsync(bad, """{"type":"authorized_user","client_id":"x","client_secret":"TOP-SECRET-VALUE"}""");
        var agent = AgentProcess.Start(new Uri("http://127.0.0.1:9"), "agent-bad", Path.Combine(_root, "agent-bad"), extraArguments:
            ["--checkpoint-store", "gdrive", "--drive-root-folder", _rootFolder, "--drive-credentials", bad]);
        _cleanup.Add(agent);

        var line = await agent.WaitForLineAsync("refresh_token", GridEvents.Timeout);

        Assert.Contains(bad, line, StringComparison.Ordinal);
        Assert.DoesNotContain("TOP-SECRET-VALUE", agent.Output(), StringComparison.Ordinal);
    }

    private async Task<GridTrainClient> StartControllerAsync()
    {
        var server = ControllerServer.Create(new IPEndPoint(IPAddress.Loopback, 0), s_fastFailover);
        await server.StartAsync(CancellationToken.None);
        var client = new GridTrainClient(server.Address);
        _cleanup.Add(server);
        _cleanup.Add(new DisposableClient(client));
        return client;
    }

    private AgentProcess Agent(string name, Uri controller)
    {
        var agent = AgentProcess.Start(controller, name, Path.Combine(_root, name), extraArguments:
        [
            "--checkpoint-store", "gdrive", "--drive-root-folder", _rootFolder, "--drive-credentials", _credentials,
            "--drive-endpoint", _drive.Endpoint.ToString(),
        ]);
        _cleanup.Add(agent);
        return agent;
    }

    private static byte[] Images(int count, int side)
    {
        var bytes = new byte[16 + count * side * side];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 0x00000803);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), side);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), side);
        for (var i = 16; i < bytes.Length; i++)
        {
            bytes[i] = (byte)((i - 16) / (side * side) % 4 * 60);
        }

        return bytes;
    }

    private static byte[] Labels(int count)
    {
        var bytes = new byte[8 + count];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 0x00000801);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        for (var i = 0; i < count; i++)
        {
            bytes[8 + i] = (byte)(i % 4);
        }

        return bytes;
    }

    private sealed class DisposableClient(GridTrainClient client) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            client.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
