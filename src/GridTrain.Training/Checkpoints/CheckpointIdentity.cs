namespace GridTrain.Training.Checkpoints;

/// <summary>What every checkpoint of one run records about the job, its model, its data and where it runs.</summary>
internal sealed record CheckpointIdentity(
    string JobId,
    int Attempt,
    string Model,
    string ModelSignature,
    string Data,
    string ModelIdentity = "",
    string DataIdentity = "",
    string Device = "cpu");
