namespace GridTrain.Training.Checkpoints;

/// <summary>What every checkpoint of one run records about the job, its model and its data.</summary>
internal sealed record CheckpointIdentity(string JobId, int Attempt, string Model, string ModelSignature, string Data);
