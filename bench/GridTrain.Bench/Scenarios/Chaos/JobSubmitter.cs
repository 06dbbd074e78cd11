using System.Collections.Concurrent;
using Grpc.Core;
using GridTrain.Protos.V1;

namespace GridTrain.Bench.Scenarios.Chaos;

/// <summary>One job the soak submitted.</summary>
internal sealed record SubmittedJob(string Id, string User, string Kind, TimeSpan At);

/// <summary>
/// A steady stream of small batch jobs from several users: built-in MLPs on generated data and command jobs (a shell
/// script that checkpoints every few steps and resumes from <c>GRIDTRAIN_RESUME_FROM</c>), at seeded random intervals.
/// </summary>
internal sealed class JobSubmitter(GridCaller caller, string adminToken, Random random, TimeProvider time)
{
    /// <summary>Counts to <c>$TOTAL</c> a step every 0.3 s, committing the step as a checkpoint every fifth.</summary>
    public const string CommandScript = """
        set -e
        total=${TOTAL:-30}
        i=0
        if [ -n "$GRIDTRAIN_RESUME_FROM" ]; then i=$(cat "$GRIDTRAIN_RESUME_FROM"); fi
        echo "attempt $GRIDTRAIN_ATTEMPT starts at step $i"
        while [ "$i" -lt "$total" ]; do
          sleep 0.3
          i=$((i + 1))
          echo "{\"step\": $i, \"total_steps\": $total}" >> "$GRIDTRAIN_EVENTS"
          if [ $((i % 5)) -eq 0 ]; then
            echo "$i" > "$GRIDTRAIN_CHECKPOINT_DIR/.next"
            mv "$GRIDTRAIN_CHECKPOINT_DIR/.next" "$GRIDTRAIN_CHECKPOINT_DIR/ckpt-$i.txt"
          fi
        done
        """;

    private static readonly string[] s_users = ["alice", "bob", "carol"];
    private readonly Dictionary<string, string> _tokens = [];
    private readonly ConcurrentQueue<SubmittedJob> _submitted = new();
    private readonly long _started = time.GetTimestamp();
    private int _failures;

    public IReadOnlyCollection<SubmittedJob> Submitted => _submitted;

    /// <summary>Submissions that got no answer from any replica (the job may or may not exist).</summary>
    public int Failures => Volatile.Read(ref _failures);

    /// <summary>Creates a user token for each user.</summary>
    public async Task CreateUsersAsync(CancellationToken cancellationToken)
    {
        foreach (var user in s_users)
        {
            var created = await caller.CallAsync(
                "CreateToken",
                adminToken,
                (invoker, options) => new TokenService.TokenServiceClient(invoker).CreateTokenAsync(new CreateTokenRequest { User = user, Role = TokenRole.User, Description = "chaos soak" }, options).ResponseAsync,
                TimeSpan.FromSeconds(60),
                cancellationToken);
            _tokens[user] = created.Token;
        }
    }

    /// <summary>Submits until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await SubmitOneAsync(cancellationToken);
                await Task.Delay(TimeSpan.FromMilliseconds(random.Next(1000, 5000)), time, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Submission stops with the fault phase.
        }
    }

    private async Task SubmitOneAsync(CancellationToken cancellationToken)
    {
        var user = s_users[random.Next(s_users.Length)];
        var command = random.Next(3) > 0;
        var request = new SubmitJobRequest
        {
            Batch = new BatchSession { Resources = new ResourceRequest { Runtime = Runtime.Cpu } },
            Spec = command ? CommandJob(random.Next(20, 41)) : MlpJob(random.Next(1, 1000)),
        };
        try
        {
            var job = await caller.CallAsync(
                "SubmitJob",
                _tokens[user],
                (invoker, options) => new JobService.JobServiceClient(invoker).SubmitJobAsync(request, options).ResponseAsync,
                TimeSpan.FromSeconds(60),
                cancellationToken);
            var submitted = new SubmittedJob(job.Id, user, command ? "command" : "mlp", time.GetElapsedTime(_started));
            _submitted.Enqueue(submitted);
        }
        catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
        {
            Interlocked.Increment(ref _failures);
            Console.WriteLine($"chaos: a submission by {user} failed: {ex.StatusCode} {ex.Status.Detail}");
        }
    }

    private static JobSpec CommandJob(int steps) => new()
    {
        DisplayName = "chaos-command",
        Command = new CommandSpec { Argv = { "sh", "-c", CommandScript }, Environment = { ["TOTAL"] = steps.ToString(System.Globalization.CultureInfo.InvariantCulture) } },
        Checkpoint = new CheckpointPolicy { KeepLast = 2 },
    };

    private static JobSpec MlpJob(int seed) => new()
    {
        DisplayName = "chaos-mlp",
        Threads = 1,
        Model = new ModelSpec { Name = "mlp", HiddenSizes = { 128 } },
        Data = new DataSpec { Synthetic = new SyntheticData { TrainExamples = 6000, TestExamples = 200, ImageSize = 16, Classes = 4 } },
        Hyperparameters = new Hyperparameters { Optimizer = "adam", LearningRate = 0.01, BatchSize = 32, Epochs = 3, Seed = seed },
        Checkpoint = new CheckpointPolicy { EverySteps = 100, KeepLast = 2 },
    };
}
