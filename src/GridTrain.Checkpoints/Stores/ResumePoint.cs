namespace GridTrain.Checkpoints.Stores;

/// <summary>
/// A checkpoint made available to resume from: its local file <paramref name="Path"/> and <paramref name="Uri"/>, the
/// stored checkpoint it is a copy of (the one asked for, or the older one fetched when that could not be read). A job
/// that reports the local file as its checkpoint (it resumed at its end and wrote none) is reported with the URI.
/// </summary>
public sealed record ResumePoint(string Path, string Uri);
