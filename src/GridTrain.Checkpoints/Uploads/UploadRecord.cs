namespace GridTrain.Checkpoints.Uploads;

/// <summary>A pending upload as persisted in the agent's state directory (one JSON file each), so a restart resumes it.</summary>
internal sealed record UploadRecord
{
    public required string JobId { get; init; }

    public required long LeaseEpoch { get; init; }

    public required int Attempt { get; init; }

    public required long Step { get; init; }

    public required string Path { get; init; }

    public double? Metric { get; init; }

    /// <summary>The open Drive upload session, if any.</summary>
    public Uri? Session { get; set; }
}
