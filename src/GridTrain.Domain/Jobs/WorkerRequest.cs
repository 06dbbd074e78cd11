namespace GridTrain.Domain.Jobs;

/// <summary>
/// What the agent hands a job process (as a JSON file): the job, where it may write, and what to resume from.
/// The process reports back with <see cref="TrainingEvent"/> lines on standard output, each prefixed with
/// <see cref="WorkerProtocol.LinePrefix"/>.
/// </summary>
public sealed record WorkerRequest
{
    public required string JobId { get; init; }

    public int Attempt { get; init; } = 1;

    public required JobSpec Spec { get; init; }

    /// <summary>Directory the job owns: checkpoints go to <c>checkpoints/</c>, TensorBoard files to <c>tensorboard/</c>.</summary>
    public required string WorkDirectory { get; init; }

    /// <summary>Checkpoint file to resume from, or null for a fresh start.</summary>
    public string? ResumeFrom { get; init; }

    /// <summary>
    /// Whether the process deletes checkpoints beyond <see cref="CheckpointPolicy.KeepLast"/> itself (default true).
    /// An agent sets false and prunes only after the controller has committed newer checkpoints, so a process whose
    /// lease was lost can never delete the checkpoint the grid resumes from.
    /// </summary>
    public bool PruneCheckpoints { get; init; } = true;

    /// <summary>
    /// Whether a checkpoint pauses training only for its in-memory snapshot, its file being written on another thread
    /// and reported at a later step boundary (default false: written and reported before the next step). Agents set it.
    /// </summary>
    public bool BackgroundCheckpointWrites { get; init; }

    /// <summary>Intra-op thread count for the process (already resolved by the agent, ≥ 1).</summary>
    public int Threads { get; init; } = 1;
}
