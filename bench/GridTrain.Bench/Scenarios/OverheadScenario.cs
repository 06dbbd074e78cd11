using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GridTrain.Client;
using GridTrain.Contracts.Mapping;
using GridTrain.Domain.Jobs;
using GridTrain.Embedded;
using GridTrain.Training;
using Wire = GridTrain.Protos.V1;

namespace GridTrain.Bench.Scenarios;

/// <summary>
/// For each model asked for (<c>--model cnn,torchscript</c> by default: the reference CNN, and a TorchScript module
/// exported by PyTorch), the same job — model, data, batch size, threads — trained bare (a fresh process that only calls the training
/// loop) and as a GridTrain job (embedded controller + agent, the job in its child process). Both job processes start
/// cold, so neither gets the other's warm JIT or oneDNN primitive cache; the embedded controller and agent are warmed
/// by <c>--warmup</c> jobs first (default 1), as a long-running agent is. Rounds alternate to spread machine noise evenly;
/// the medians are compared. Throughput counts training-step time in both (what a user's epoch costs); the wall
/// time (start to result: process start, data load, training, evaluation) is reported beside it.
/// </summary>
internal static class OverheadScenario
{
    private const string FashionMnist = "/usr/share/datasets/fashion-mnist";

    /// <summary>TorchScript module trained by default with <c>--model torchscript</c>: the example exported by PyTorch.</summary>
    private const string DefaultTorchScript = "examples/torchscript/small-cnn.pt";

    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = Option(args, "--rounds", 3);
        var trainExamples = Option(args, "--train-examples", 32_000);
        var threads = Option(args, "--threads", Math.Min(2, Environment.ProcessorCount));
        var dataDirectory = OptionText(args, "--data") ?? FashionMnist;
        var useIdx = File.Exists(Path.Combine(dataDirectory, "train-images-idx3-ubyte.gz"));
        var models = (OptionText(args, "--model") ?? "cnn,torchscript").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var torchScript = Path.GetFullPath(OptionText(args, "--torchscript") ?? DefaultTorchScript);
        var warmups = Option(args, "--warmup", 1);

        var root = Directory.CreateTempSubdirectory("gridtrain-bench-").FullName;
        await using var embedded = await EmbeddedGrid.StartAsync(new EmbeddedGridOptions { WorkDirectory = Path.Combine(root, "grid"), ThreadsPerJob = threads }, CancellationToken.None);
        using var client = new GridTrainClient(embedded.Address, token: embedded.AdminToken);
        foreach (var model in models)
        {
            var spec = new JobSpec
            {
                Model = model == "torchscript"
                    ? new ModelSpec { Name = ModelKind.TorchScript, TorchScript = new TorchScriptSpec { Path = torchScript } }
                    : new ModelSpec { Name = Choice<ModelKind>.TryParse(model, out var kind) ? kind : throw new ArgumentException($"unknown model {model}") },
                Data = useIdx
                    ? new DataSpec { IdxDirectory = Path.GetFullPath(dataDirectory), TrainLimit = trainExamples, TestLimit = 1_000 }
                    : new DataSpec { Synthetic = new SyntheticDataSpec { TrainExamples = trainExamples, TestExamples = 1_000 } },
                Hyperparameters = new Hyperparameters { Optimizer = OptimizerKind.Adam, LearningRate = 0.001, BatchSize = 64, Epochs = 1, Seed = 7 },
                Checkpoint = new CheckpointPolicy { EverySteps = 0, KeepLast = 1 },
                Threads = threads,
            };
            var label = model == "torchscript" ? $"torchscript ({Path.GetFileName(torchScript)})" : model;
            Console.WriteLine($"overhead: {label}, {(useIdx ? "Fashion-MNIST" : "synthetic")} {trainExamples} examples, batch 64, {threads} threads, {rounds} rounds, work dir {root}");
            for (var i = 1; i <= warmups; i++)
            {
                // A production agent and controller have run for hours: their own code is JIT-compiled and tiered up. One
                // job through the grid first gets the embedded pair there; each measured job process still starts cold.
                var (rate, seconds) = await RunGridAsync(client, spec);
                Console.WriteLine($"warm-up {i}: grid {rate:F0} samples/s ({seconds:F1} s), not counted");
            }

            await CompareAsync(client, spec, model, useIdx, rounds, Path.Combine(root, model));
        }

        return 0;
    }

    private static async Task CompareAsync(GridTrainClient client, JobSpec spec, string model, bool useIdx, int rounds, string root)
    {
        var bare = new List<double>();
        var grid = new List<double>();
        var bareWall = new List<double>();
        var gridWall = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            // ABBA order: bare first in odd rounds, grid first in even ones, so neither always runs second.
            double bareRate, bareSeconds, gridRate, gridSeconds;
            if (round % 2 == 1)
            {
                (bareRate, bareSeconds) = RunBare(spec, Path.Combine(root, $"bare-{round}"));
                (gridRate, gridSeconds) = await RunGridAsync(client, spec);
            }
            else
            {
                (gridRate, gridSeconds) = await RunGridAsync(client, spec);
                (bareRate, bareSeconds) = RunBare(spec, Path.Combine(root, $"bare-{round}"));
            }

            bare.Add(bareRate);
            bareWall.Add(bareSeconds);
            grid.Add(gridRate);
            gridWall.Add(gridSeconds);
            Console.WriteLine($"round {round}: bare {bareRate:F0} samples/s ({bareSeconds:F1} s), grid {gridRate:F0} samples/s ({gridSeconds:F1} s)");
        }

        var result = new
        {
            scenario = "overhead",
            model,
            data = useIdx ? "fashion-mnist" : "synthetic",
            train_examples = spec.Data.TrainLimit > 0 ? spec.Data.TrainLimit : spec.Data.Synthetic?.TrainExamples ?? 0,
            threads = spec.Threads,
            rounds,
            bare_samples_per_s = Math.Round(Median(bare), 1),
            grid_samples_per_s = Math.Round(Median(grid), 1),
            ratio = Math.Round(Median(grid) / Median(bare), 4),
            bare_wall_s = Math.Round(Median(bareWall), 2),
            grid_wall_s = Math.Round(Median(gridWall), 2),
        };
        Console.WriteLine(JsonSerializer.Serialize(result));
    }

    /// <summary>The bare run: this program again, in a fresh process that loads the data and calls the training loop.</summary>
    private static (double SamplesPerSecond, double Seconds) RunBare(JobSpec spec, string workDirectory)
    {
        Directory.CreateDirectory(workDirectory);
        var requestPath = Path.Combine(workDirectory, "request.json");
        File.WriteAllText(requestPath, JsonSerializer.Serialize(
            new WorkerRequest { JobId = "bench-bare", Spec = spec, WorkDirectory = workDirectory, Threads = spec.Threads },
            WorkerProtocol.JsonOptions));
        var watch = Stopwatch.StartNew();
        var startInfo = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            startInfo.ArgumentList.Add(typeof(OverheadScenario).Assembly.Location);
        }

        // Configured like a job process (the agent starts those with workstation GC), so the comparison measures what
        // running under GridTrain costs, not a runtime setting.
        startInfo.Environment["DOTNET_gcServer"] = "0";
        startInfo.ArgumentList.Add("overhead-bare");
        startInfo.ArgumentList.Add(requestPath);
        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"bare run failed with exit code {process.ExitCode}: {output}");
        }

        return (double.Parse(output.Trim().Split('\n')[^1], CultureInfo.InvariantCulture), watch.Elapsed.TotalSeconds);
    }

    /// <summary>Entry point of the bare process: trains and prints samples per second.</summary>
    public static int RunBareProcess(string requestPath)
    {
        var request = JsonSerializer.Deserialize<WorkerRequest>(File.ReadAllText(requestPath), WorkerProtocol.JsonOptions)!;
        var outcome = Trainer.Run(request, _ => { }, CancellationToken.None);
        Console.WriteLine(outcome.SamplesPerSecond.ToString("R", CultureInfo.InvariantCulture));
        return 0;
    }

    private static async Task<(double SamplesPerSecond, double Seconds)> RunGridAsync(GridTrainClient client, JobSpec spec)
    {
        var watch = Stopwatch.StartNew();
        var job = await client.Jobs.SubmitJobAsync(new Wire.SubmitJobRequest
        {
            Batch = new Wire.BatchSession { Resources = new Wire.ResourceRequest { Runtime = Wire.Runtime.Cpu } },
            Spec = spec.ToProto(),
        });
        var finished = await client.WaitForJobAsync(job.Id);
        if (finished.State != Wire.JobState.Succeeded)
        {
            throw new InvalidOperationException($"benchmark job {job.Id} ended {finished.State}: {finished.Result?.Reason}");
        }

        return (finished.Result.SamplesPerSecond, watch.Elapsed.TotalSeconds);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static int Option(string[] args, string name, int fallback) =>
        OptionText(args, name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    private static string? OptionText(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
