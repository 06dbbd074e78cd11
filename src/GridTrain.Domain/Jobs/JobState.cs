namespace GridTrain.Domain.Jobs;

/// <summary>Lifecycle of a job: Queued → Running → Succeeded | Failed | Cancelled.</summary>
public enum JobState
{
    Queued = 1,
    Running = 2,
    Succeeded = 3,
    Failed = 4,
    Cancelled = 5,
}
