namespace GridTrain.Training.Checkpoints;

/// <summary>A checkpoint serialized in memory, not yet on disk: <paramref name="Content"/> is the checkpoint file's bytes.</summary>
internal sealed record CheckpointSnapshot(TrainingCursor Cursor, MemoryStream Content);
