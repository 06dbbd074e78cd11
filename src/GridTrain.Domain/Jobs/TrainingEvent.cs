using System.Text.Json.Serialization;

namespace GridTrain.Domain.Jobs;

/// <summary>
/// Something that happened to a job: reported by its training process, or decided by the controller.
/// Serialized as JSON with a <c>type</c> discriminator between the job process and the agent.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(JobStateChanged), "state")]
[JsonDerivedType(typeof(ProgressReported), "progress")]
[JsonDerivedType(typeof(EpochEvaluated), "epoch")]
[JsonDerivedType(typeof(CheckpointWritten), "checkpoint")]
[JsonDerivedType(typeof(LogWritten), "log")]
[JsonDerivedType(typeof(TrainingFinished), "finished")]
[JsonDerivedType(typeof(TrainingFailed), "failed")]
[JsonDerivedType(typeof(TensorBoardWritten), "tensorboard")]
public abstract record TrainingEvent;

/// <summary>The job entered <paramref name="State"/>; <paramref name="Reason"/> says why when it failed or was cancelled.</summary>
public sealed record JobStateChanged(JobState State, string Reason) : TrainingEvent;

/// <summary>Periodic progress of the training loop; <paramref name="Loss"/> is the mean since the last report.</summary>
public sealed record ProgressReported(long Step, long TotalSteps, int Epoch, double Loss, double SamplesPerSecond, double EtaSeconds) : TrainingEvent;

/// <summary>Evaluation on the test split at the end of an epoch; accuracy in [0, 1].</summary>
public sealed record EpochEvaluated(int Epoch, double TrainLoss, double TestLoss, double TestAccuracy) : TrainingEvent;

/// <summary>A complete checkpoint at <paramref name="Uri"/>.</summary>
public sealed record CheckpointWritten(long Step, string Uri) : TrainingEvent;

/// <summary>A line of the job's output; <paramref name="Stream"/> is <c>stdout</c> or <c>stderr</c>, or <c>agent</c> for the agent's notes about the job.</summary>
public sealed record LogWritten(string Stream, string Text) : TrainingEvent;

/// <summary>
/// The training loop completed. Sent by the job process as its last event. <paramref name="StoppedEarly"/> is true when
/// early stopping ended it; <paramref name="BestEpoch"/> (from 1, 0 when no evaluation ran) is the epoch whose weights
/// were kept as the best model, at <paramref name="BestModelPath"/>.
/// </summary>
public sealed record TrainingFinished(
    long Steps,
    double? TestAccuracy,
    string CheckpointUri,
    string TensorBoardDirectory,
    double SamplesPerSecond,
    bool StoppedEarly = false,
    int BestEpoch = 0,
    string BestModelPath = "") : TrainingEvent;

/// <summary>
/// New bytes of one of the job's TensorBoard event files: <paramref name="Data"/> belongs at byte
/// <paramref name="Offset"/> of <paramref name="File"/> (a name relative to the job's TensorBoard directory).
/// </summary>
public sealed record TensorBoardWritten(string File, long Offset, byte[] Data) : TrainingEvent;

/// <summary>
/// The training loop stopped on an error. <paramref name="UserError"/> is true for causes in the job itself
/// (bad spec, missing data, an exception in model code), which are not retried.
/// </summary>
public sealed record TrainingFailed(string Reason, bool UserError) : TrainingEvent;
