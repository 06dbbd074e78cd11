namespace GridTrain.Domain.Jobs;

/// <summary>An entry of a job's event stream. Sequence numbers start at 1 and have no gaps.</summary>
public sealed record JobEvent(string JobId, long Sequence, DateTimeOffset Time, TrainingEvent Data);
