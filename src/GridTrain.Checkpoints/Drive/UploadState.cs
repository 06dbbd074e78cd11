namespace GridTrain.Checkpoints.Drive;

/// <summary>How far a resumable upload got: <paramref name="Committed"/> bytes stored, and the file once complete.</summary>
public sealed record UploadState(long Committed, DriveFile? File);
