namespace GridTrain.Checkpoints.Stores;

/// <summary>
/// A checkpoint a job process wrote to the agent's spool: <paramref name="Path"/> and its manifest next to it
/// (<c>.json</c>), written under lease <paramref name="LeaseEpoch"/> by attempt <paramref name="Attempt"/>.
/// <paramref name="Metric"/> is the test accuracy evaluated at this checkpoint's step, if any.
/// </summary>
public sealed record SpooledCheckpoint(string JobId, long LeaseEpoch, int Attempt, long Step, string Path, double? Metric)
{
    /// <summary>The manifest the job process wrote after the checkpoint file.</summary>
    public string ManifestPath => System.IO.Path.ChangeExtension(Path, ".json");
}
