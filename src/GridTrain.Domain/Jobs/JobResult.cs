using GridTrain.Domain.Agents.Health;

namespace GridTrain.Domain.Jobs;

/// <summary>Outcome of a finished job.</summary>
public sealed record JobResult
{
    public required JobState State { get; init; }

    /// <summary>Why the job failed or was cancelled; empty on success.</summary>
    public string Reason { get; init; } = "";

    public long Steps { get; init; }

    /// <summary>Test accuracy after the last epoch, in [0, 1]; null when no evaluation ran.</summary>
    public double? TestAccuracy { get; init; }

    public string CheckpointUri { get; init; } = "";

    public string TensorBoardDirectory { get; init; } = "";

    public double SamplesPerSecond { get; init; }

    /// <summary>True when early stopping ended training.</summary>
    public bool StoppedEarly { get; init; }

    /// <summary>Epoch (from 1) whose weights scored best; 0 when no evaluation ran.</summary>
    public int BestEpoch { get; init; }

    /// <summary>Where the best weights are; empty when none were kept.</summary>
    public string BestModelUri { get; init; } = "";

    public int? ExitCode { get; init; }

    /// <summary>True when the failure came from the infrastructure (process killed, agent lost) and may be retried.</summary>
    public bool Retryable { get; init; }

    /// <summary>
    /// The fault a check of the job's GPUs found right after its process failed (the agent sets it): the failure is the
    /// hardware's, so the attempt is not charged; null otherwise.
    /// </summary>
    public GpuHealth? GpuFault { get; init; }

    public static JobResult Cancelled(string reason) => new() { State = JobState.Cancelled, Reason = reason };

    public static JobResult Failed(string reason) => new() { State = JobState.Failed, Reason = reason };
}
