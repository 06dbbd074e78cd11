namespace GridTrain.Domain.Jobs;

/// <summary>One training run in a session. Immutable: transitions return a new value.</summary>
public sealed record Job
{
    public required string Id { get; init; }

    public required string SessionId { get; init; }

    public required JobSpec Spec { get; init; }

    public JobState State { get; init; } = JobState.Queued;

    /// <summary>Times the job has started; 0 until it first runs.</summary>
    public int Attempt { get; init; }

    /// <summary>
    /// Attempts ended by a GPU fault (infrastructure, not the job): they do not count against the maximum attempts.
    /// </summary>
    public int UnchargedAttempts { get; init; }

    /// <summary>The GPU faults that ended attempts, each naming the GPU and the cause (<c>GPU-… Xid 79</c>), oldest first.</summary>
    public IReadOnlyList<string> GpuFaults { get; init; } = [];

    /// <summary>Attempts that count against the maximum: those not ended by a GPU fault.</summary>
    public int ChargedAttempts => Attempt - UnchargedAttempts;

    /// <summary>How many different GPUs (by UUID) faulted under this job.</summary>
    public int FaultyGpuCount => GpuFaults.Select(f => f.Split(' ', 2)[0]).Distinct(StringComparer.Ordinal).Count();

    /// <summary>Records that a GPU fault (<paramref name="reason"/>: the GPU and cause) ended the current attempt, which is not charged.</summary>
    public Job GpuFaulted(string reason) => this with { GpuFaults = [.. GpuFaults, reason], UnchargedAttempts = UnchargedAttempts + 1 };

    /// <summary>Checkpoint the current attempt resumed from, or null for a fresh start.</summary>
    public string? ResumedFrom { get; init; }

    public string? LatestCheckpoint { get; init; }

    /// <summary>Step of <see cref="LatestCheckpoint"/>.</summary>
    public long LatestCheckpointStep { get; init; }

    /// <summary>When the controller recorded <see cref="LatestCheckpoint"/>; null when none was reported (or it was stored before this was kept).</summary>
    public DateTimeOffset? LatestCheckpointAt { get; init; }

    /// <summary>Steps a stop now would lose: progress since the latest committed checkpoint.</summary>
    public long StepsSinceCheckpoint => Math.Max(0, (Progress?.Step ?? 0) - LatestCheckpointStep);

    public ProgressReported? Progress { get; init; }

    /// <summary>When the current attempt last reported progress (or started); for stalled-job detection.</summary>
    public DateTimeOffset? LastProgressAt { get; init; }

    public JobResult? Result { get; init; }

    /// <summary>Lease epoch of the session the current attempt runs under.</summary>
    public long LeaseEpoch { get; init; }

    /// <summary>Highest agent-side event sequence stored for the current attempt (deduplicates retried reports).</summary>
    public long AgentSequence { get; init; }

    /// <summary>Sequence of the job's newest event.</summary>
    public long LastEventSequence { get; init; }

    /// <summary>Best test accuracy seen in an epoch evaluation of the current attempt.</summary>
    public double? TestAccuracy { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    public bool IsFinished => State is JobState.Succeeded or JobState.Failed or JobState.Cancelled;

    public Job Start(long leaseEpoch, DateTimeOffset now)
    {
        Ensure(State == JobState.Queued, JobState.Running);
        return this with
        {
            State = JobState.Running,
            Attempt = Attempt + 1,
            ResumedFrom = LatestCheckpoint,
            LeaseEpoch = leaseEpoch,
            AgentSequence = 0,
            StartedAt = StartedAt ?? now,
            LastProgressAt = now,
        };
    }

    /// <summary>Back to the queue after an infrastructure failure; the next attempt resumes from the latest checkpoint.</summary>
    public Job Requeue()
    {
        Ensure(State == JobState.Running, JobState.Queued);
        return this with { State = JobState.Queued };
    }

    public Job Finish(JobResult result, DateTimeOffset now)
    {
        Ensure(!IsFinished && result.State is JobState.Succeeded or JobState.Failed or JobState.Cancelled, result.State);
        return this with
        {
            State = result.State,
            Result = result,
            LatestCheckpoint = string.IsNullOrEmpty(result.CheckpointUri) ? LatestCheckpoint : result.CheckpointUri,
            FinishedAt = now,
        };
    }

    private void Ensure(bool allowed, JobState to)
    {
        if (!allowed)
        {
            throw new GridException(GridError.FailedPrecondition, $"job {Id} cannot go from {State} to {to}");
        }
    }
}
