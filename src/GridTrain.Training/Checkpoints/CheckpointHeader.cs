namespace GridTrain.Training.Checkpoints;

/// <summary>What a checkpoint file holds besides the tensors: the model it fits and where the run stood.</summary>
internal sealed record CheckpointHeader(string ModelSignature, TrainingCursor Cursor);
