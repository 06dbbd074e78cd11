using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using GridTrain.Client;
using GridTrain.Controller.Hosting;
using GridTrain.Controller.Security;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.Protos.V1;
using Microsoft.Extensions.Logging;

namespace GridTrain.Bench.Scenarios;

/// <summary>
/// Failure recovery with the default timings: a controller (SQLite) and two agent processes; a CNN job trains on
/// one; after its second checkpoint and some more steps that agent gets SIGKILL. Measured from the kill:
/// when the controller declares the job's attempt lost (detect), and when the job's first training step runs on
/// the other agent (resume); steps lost are the steps reported before the kill that the resumed checkpoint lacks.
/// </summary>
internal static class RecoveryScenario
{
    public static async Task<int> RunAsync(string[] args)
    {
        var checkpointEvery = args is ["--checkpoint-every", var n, ..] ? int.Parse(n, CultureInfo.InvariantCulture) : 50;
        var options = new GridOptions();
        var root = Directory.CreateTempSubdirectory("gridtrain-recovery-").FullName;
        Console.WriteLine($"recovery: heartbeat {options.HeartbeatInterval.TotalSeconds}s, agent timeout {options.AgentTimeout.TotalSeconds}s, checkpoint every {checkpointEvery} steps, work dir {root}");

        var joinToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        await using var controller = await ControllerServer.CreateAsync(
            new IPEndPoint(IPAddress.Loopback, 0),
            ControllerStorageOptions.InDirectory(Path.Combine(root, "controller")),
            options,
            logging => logging.SetMinimumLevel(LogLevel.Warning),
            security: new ControllerSecurityOptions { JoinToken = joinToken });
        await controller.StartAsync(CancellationToken.None);
        using var client = new GridTrainClient(controller.Address, token: controller.AdminToken);
        using var first = AgentProcess.Start(controller.Address, "agent-a", Path.Combine(root, "agent-a"), joinToken);
        using var second = AgentProcess.Start(controller.Address, "agent-b", Path.Combine(root, "agent-b"), joinToken);
        await Task.WhenAll(first.WaitForLineAsync("registered as", TimeSpan.FromMinutes(1)), second.WaitForLineAsync("registered as", TimeSpan.FromMinutes(1)));

        var job = await client.Jobs.SubmitJobAsync(new SubmitJobRequest
        {
            Batch = new BatchSession { Resources = new ResourceRequest { Runtime = Runtime.Cpu } },
            Spec = new JobSpec
            {
                Model = new ModelSpec { Name = "cnn" },
                Data = new DataSpec { Synthetic = new SyntheticData { TrainExamples = 32_000, TestExamples = 500, ImageSize = 28, Classes = 10 } },
                Hyperparameters = new Hyperparameters { Optimizer = "adam", LearningRate = 0.001, BatchSize = 64, Epochs = 1, Seed = 5 },
                Checkpoint = new CheckpointPolicy { EverySteps = checkpointEvery, KeepLast = 3 },
            },
        });

        var clock = Stopwatch.StartNew();
        TimeSpan killedAt = default, detectedAt = default, resumedAt = default;
        long reportedBeforeKill = 0, resumedStep = 0, checkpoints = 0;
        var killed = false;
        var victim = default(AgentProcess);
        await foreach (var e in client.WatchJobAsync(job.Id))
        {
            if (!killed)
            {
                reportedBeforeKill = Math.Max(reportedBeforeKill, e.Progress?.Step ?? e.Checkpoint?.Step ?? 0);
                checkpoints += e.KindCase == JobEvent.KindOneofCase.Checkpoint ? 1 : 0;
                if (checkpoints >= 2 && e.KindCase == JobEvent.KindOneofCase.Progress && e.Progress?.Step > checkpointEvery * 2)
                {
                    victim = Directory.Exists(Path.Combine(first.WorkDirectory, "jobs", job.Id)) ? first : second;
                    victim.Kill();
                    killedAt = clock.Elapsed;
                    killed = true;
                }

                continue;
            }

            if (detectedAt == default && e.StateChanged?.State == Protos.V1.JobState.Queued)
            {
                detectedAt = clock.Elapsed;
                var requeued = await client.Jobs.GetJobAsync(new GetJobRequest { JobId = job.Id });
                resumedStep = long.Parse(Path.GetFileNameWithoutExtension(requeued.LatestCheckpoint).Split('-')[^1], CultureInfo.InvariantCulture);
            }

            if (detectedAt != default && e.KindCase == JobEvent.KindOneofCase.Progress)
            {
                resumedAt = clock.Elapsed;
                break;
            }
        }

        await client.Jobs.CancelJobAsync(new CancelJobRequest { JobId = job.Id });
        var result = new
        {
            scenario = "recovery",
            agent_timeout_s = options.AgentTimeout.TotalSeconds,
            heartbeat_interval_s = options.HeartbeatInterval.TotalSeconds,
            detect_s = Math.Round((detectedAt - killedAt).TotalSeconds, 2),
            resume_s = Math.Round((resumedAt - killedAt).TotalSeconds, 2),
            steps_lost = reportedBeforeKill - resumedStep,
            checkpoint_interval_steps = checkpointEvery,
        };
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }
}
