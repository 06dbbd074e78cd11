using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GridTrain.Checkpoints.Credentials;
using GridTrain.Checkpoints.Drive;
using GridTrain.Checkpoints.Stores;
using GridTrain.Checkpoints.Uploads;
using GridTrain.Domain.Jobs;
using GridTrain.Training;
using GridTrain.Training.Checkpoints;
using GridTrain.Training.Models;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace GridTrain.Bench.Scenarios;

/// <summary>
/// Checkpointing to Google Drive without stalling training. The reference CNN (Fashion-MNIST shape) with Adam trains
/// a few steps between checkpoints; each checkpoint is written by the training loop's own checkpoint call (timed: the
/// stall) and handed to the agent's background uploader, which stores it with resumable, verified uploads while
/// training goes on, in a fake Drive running in its own process on loopback. Then, in alternating rounds, the same
/// files are stored again the same way (the uploader) and sent as bare HTTP uploads of the same bytes to the same
/// fake; the result compares the two sides' medians.
/// </summary>
internal static class CheckpointScenario
{
    public static async Task<int> RunAsync(string[] args)
    {
        var checkpoints = Option(args, "--checkpoints", 30);
        var stepsBetween = Option(args, "--steps-between", 5);
        var threads = Option(args, "--threads", Math.Min(2, Environment.ProcessorCount));
        var rounds = Option(args, "--rounds", 9);
        var root = Directory.CreateTempSubdirectory("gridtrain-bench-checkpoint-").FullName;
        torch.set_num_threads(threads);
        torch.manual_seed(1);

        var shape = new ImageShape(1, 28, 28);
        var modelSpec = new ModelSpec { Name = ModelKind.Cnn };
        using var model = ModelFactory.Create(modelSpec, shape, 10);
        using var optimizer = OptimizerFactory.Create(new Hyperparameters { Optimizer = OptimizerKind.Adam, LearningRate = 0.001 }, model.parameters());
        var identity = new CheckpointIdentity("job-bench", 1, "cnn", ModelFactory.Signature(modelSpec, shape, 10), "synthetic");
        var spool = new LocalCheckpointStore(Path.Combine(root, "spool"), keepLast: null, identity, TimeProvider.System);
        using var images = torch.rand(64, 1, 28, 28);
        using var labels = torch.randint(0, 10, [64], dtype: ScalarType.Int64);

        using var drive = await FakeDriveProcess.StartAsync(CancellationToken.None);
        using var http = new HttpClient();
        var options = new DriveOptions { Endpoint = drive.Endpoint, RootFolderId = drive.RootFolderId };
        var tokens = DriveCredentials.FromJson(drive.CredentialsJson, "fake");
        var client = new DriveClient(http, tokens, options);
        var store = new DriveCheckpointStore(client, DriveRetry.Create(options, TimeProvider.System));
        var bare = new BareHttpUpload(http, drive.Endpoint, tokens);
        await using var uploader = new CheckpointUploader(store, Path.Combine(root, "uploads"), NullLogger.Instance);
        Console.WriteLine($"checkpoint: reference CNN + Adam, {checkpoints} checkpoints every {stepsBetween} steps, {threads} threads, {rounds} upload rounds, fake Drive at {drive.Endpoint}, work dir {root}");

        var cursor = TrainingCursor.Start;
        var stalls = new List<double>();
        var files = new List<string>();
        var uploads = new List<Task<string>>();
        Task<string>? persisting = null;
        model.train();
        for (var i = 0; i < checkpoints + 2; i++)
        {
            for (var s = 0; s < stepsBetween; s++)
            {
                using var scope = torch.NewDisposeScope();
                optimizer.zero_grad();
                var loss = nn.functional.cross_entropy(model.call(images), labels);
                loss.backward();
                optimizer.step();
                cursor = cursor.After(64, loss.item<float>());
            }

            // What the training loop does: wait for the previous write (long done), snapshot, write in the background.
            var started = Stopwatch.GetTimestamp();
            var path = persisting is null ? null : await persisting;
            var snapshot = spool.Snapshot(cursor, model, optimizer);
            var stall = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            persisting = Task.Run(() => spool.Persist(snapshot));
            if (path is not null)
            {
                uploads.Add(uploader.EnqueueAsync(new SpooledCheckpoint("job-bench", 1, 1, cursor.Step, path, null)));
                files.Add(path);
            }

            if (i >= 2)
            {
                // The first two warm up allocations and the page cache.
                stalls.Add(stall);
            }
        }

        files.Add(await persisting!);
        await Task.WhenAll(uploads);

        // As the agent does once newer checkpoints are committed: keep the newest on Drive, delete the rest.
        await store.ApplyRetentionAsync("job-bench", new RetentionPolicy(1, KeepBest: false, Committed: (1, cursor.Step)), CancellationToken.None);
        var bytes = files.Sum(f => new FileInfo(f).Length);

        // Throughput in alternating rounds: each file stored by the uploader (the agent's path), then each sent as a
        // bare HTTP upload. Only the uploads are timed; each file is deleted from the fake after its upload, so the
        // fake holds one file at a time. Round 0 warms up and is not counted: the bare path and the fake's media
        // uploads are not yet JIT-compiled, and the fake still holds the training phase's garbage.
        var resumableRates = new List<double>();
        var bareRates = new List<double>();
        var megabytes = bytes / 1_048_576.0;
        for (var round = 0; round <= rounds; round++)
        {
            var resumable = TimeSpan.Zero;
            foreach (var (file, index) in files.Select((f, i) => (f, i)))
            {
                var started = Stopwatch.GetTimestamp();
                var uri = await uploader.EnqueueAsync(new SpooledCheckpoint("job-bench-throughput", 1, 1, index + 1, file, null));
                resumable += Stopwatch.GetElapsedTime(started);
                await store.DeleteAsync(uri, CancellationToken.None);
            }

            var bareHttp = TimeSpan.Zero;
            foreach (var file in files)
            {
                var started = Stopwatch.GetTimestamp();
                var id = await bare.UploadAsync(file, CancellationToken.None);
                bareHttp += Stopwatch.GetElapsedTime(started);
                await client.DeleteAsync(id, CancellationToken.None);
            }

            var (resumableRate, bareRate) = (megabytes / resumable.TotalSeconds, megabytes / bareHttp.TotalSeconds);
            if (round > 0)
            {
                resumableRates.Add(resumableRate);
                bareRates.Add(bareRate);
            }

            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"round {(round == 0 ? "0 (warm-up, not counted)" : round)}: resumable {resumableRate:F1} MB/s, bare HTTP {bareRate:F1} MB/s, ratio {resumableRate / bareRate:F2}; fake Drive RSS {drive.ResidentBytes / 1_048_576.0:F0} MiB"));
        }

        Directory.Delete(root, recursive: true);

        stalls.Sort();
        var upload = Median(resumableRates);
        var bareUpload = Median(bareRates);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"checkpoint size {megabytes / files.Count:F1} MiB, {files.Count} files; stalls ms: min {stalls[0]:F1}, max {stalls[^1]:F1}"));
        var result = new
        {
            scenario = "checkpoint",
            stall_ms_p50 = Math.Round(Percentile(stalls, 0.50), 2),
            stall_ms_p99 = Math.Round(Percentile(stalls, 0.99), 2),
            upload_mb_per_s = Math.Round(upload, 1),
            bare_http_mb_per_s = Math.Round(bareUpload, 1),
            upload_vs_bare_http = Math.Round(upload / bareUpload, 2),
            rounds,
        };
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    private static double Percentile(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
