namespace GridTrain.Training.Checkpoints;

/// <summary>
/// The JSON written next to a checkpoint file (same name, <c>.json</c>), after the file itself: a checkpoint without
/// its manifest is incomplete.
/// </summary>
internal sealed record CheckpointManifest
{
    /// <summary>Version of the checkpoint file's format.</summary>
    public required int Format { get; init; }

    /// <summary>Name of the checkpoint file in the same directory.</summary>
    public required string File { get; init; }

    /// <summary>Optimizer steps taken.</summary>
    public required long Step { get; init; }

    /// <summary>Zero-based epoch the run continues in.</summary>
    public required int Epoch { get; init; }

    /// <summary>Examples of that epoch's order already trained on.</summary>
    public required int PositionInEpoch { get; init; }

    /// <summary>Lower-case hex SHA-256 of the checkpoint file.</summary>
    public required string Sha256 { get; init; }

    public required long SizeBytes { get; init; }

    /// <summary>Model name from the spec, e.g. <c>cnn</c>.</summary>
    public required string Model { get; init; }

    /// <summary>What a model must match to load this checkpoint: name, layer sizes, input shape, classes.</summary>
    public required string ModelSignature { get; init; }

    /// <summary>Description of the training data (kind, location, shape, sizes).</summary>
    public required string Data { get; init; }

    /// <summary>
    /// The model's identity: its name and a SHA-256 of its parameter names and shapes, or the SHA-256 of the TorchScript
    /// file it started from. Empty in manifests written before it existed.
    /// </summary>
    public string ModelIdentity { get; init; } = "";

    /// <summary>The data's identity: a SHA-256 of its content (IDX, CSV) or its generator's settings (synthetic). Empty in older manifests.</summary>
    public string DataIdentity { get; init; } = "";

    /// <summary>TorchSharp's version, e.g. <c>0.107.0</c>.</summary>
    public required string TorchSharpVersion { get; init; }

    /// <summary>libtorch's version, e.g. <c>2.10.0+cpu</c>.</summary>
    public required string LibTorchVersion { get; init; }

    /// <summary><c>cpu</c> or <c>cuda</c>: where the run trained.</summary>
    public required string Device { get; init; }

    public required string JobId { get; init; }

    public required int Attempt { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
}
