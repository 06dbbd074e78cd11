using System.Text.Json;

namespace GridTrain.Checkpoints.Stores;

/// <summary>
/// The manifest GridTrain writes to Drive after a checkpoint file is complete and verified. A checkpoint is visible
/// (listed, resumable) only through its manifest.
/// </summary>
public sealed record DriveCheckpointManifest
{
    public required string JobId { get; init; }

    public required long Step { get; init; }

    /// <summary>Lease epoch the writer held: a stale writer's manifest carries an older one.</summary>
    public required long LeaseEpoch { get; init; }

    public required int Attempt { get; init; }

    /// <summary>Drive id of the checkpoint file.</summary>
    public required string FileId { get; init; }

    public required string FileName { get; init; }

    public required long SizeBytes { get; init; }

    /// <summary>Lower-case hex MD5, as Drive reported it for the file (and as computed locally).</summary>
    public required string Md5 { get; init; }

    /// <summary>Lower-case hex SHA-256 of the file.</summary>
    public required string Sha256 { get; init; }

    /// <summary>Test accuracy evaluated at this step, if any.</summary>
    public double? Metric { get; init; }

    /// <summary>The manifest the job process wrote (format, model, data identity, versions).</summary>
    public JsonElement? Local { get; init; }
}
