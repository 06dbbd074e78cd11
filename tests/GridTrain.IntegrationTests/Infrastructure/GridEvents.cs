using GridTrain.Client;
using GridTrain.Protos.V1;

namespace GridTrain.IntegrationTests.Infrastructure;

/// <summary>Waiting for what a job's event stream says, instead of waiting for time to pass.</summary>
internal static class GridEvents
{
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5); // a bound on hangs, not a performance check: loaded CI machines are slow

    /// <summary>Reads the job's events until one matches; returns everything read up to and including it.</summary>
    public static async Task<List<JobEvent>> UntilAsync(this GridTrainClient client, string jobId, Func<JobEvent, bool> match, long afterSequence = 0)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var seen = new List<JobEvent>();
        await foreach (var jobEvent in client.WatchJobAsync(jobId, afterSequence, cancellationToken: timeout.Token))
        {
            seen.Add(jobEvent);
            if (match(jobEvent))
            {
                return seen;
            }
        }

        var states = seen.Where(e => e.StateChanged is not null).Select(e => $"{e.StateChanged.State}: {e.StateChanged.Reason}");
        throw new InvalidOperationException($"job {jobId} ended without the expected event; its states: {string.Join(" | ", states)}");
    }

    public static async Task<Job> FinishedAsync(this GridTrainClient client, string jobId)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        return await client.WaitForJobAsync(jobId, cancellationToken: timeout.Token);
    }

    /// <summary>
    /// A CNN job on synthetic data long enough to interrupt (3 epochs of 300 steps), checkpointing every 25 steps.
    /// </summary>
    public static JobSpec RecoveryJob() => new()
    {
        Model = new ModelSpec { Name = "cnn" },
        Data = new DataSpec { Synthetic = new SyntheticData { TrainExamples = 4_800, TestExamples = 200, ImageSize = 16, Classes = 4 } },
        Hyperparameters = new Hyperparameters { Optimizer = "adam", LearningRate = 0.001, BatchSize = 16, Epochs = 3, Seed = 11 },
        Checkpoint = new CheckpointPolicy { EverySteps = 25, KeepLast = 3 },
    };

    public static SubmitJobRequest Batch(JobSpec spec) => new()
    {
        Batch = new BatchSession { Resources = new ResourceRequest { Runtime = Runtime.Cpu } },
        Spec = spec,
    };
}
