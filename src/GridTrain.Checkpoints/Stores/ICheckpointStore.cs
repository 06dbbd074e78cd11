namespace GridTrain.Checkpoints.Stores;

/// <summary>
/// Where committed checkpoints live: <c>local</c> (the agent's own directory) or <c>gdrive</c> (Google Drive). Job
/// processes always write to a local spool; the agent stores each spooled checkpoint here in the background.
/// </summary>
public interface ICheckpointStore
{
    /// <summary><c>local</c> or <c>gdrive</c>.</summary>
    string Kind { get; }

    /// <summary>Whether checkpoints are copied off the machine (the spool is not the store).</summary>
    bool IsRemote { get; }

    /// <summary>Whether <paramref name="uri"/> names a checkpoint in this store.</summary>
    bool Owns(string uri);

    /// <summary>
    /// Stores a spooled checkpoint, complete and verified, and returns its URI. <paramref name="upload"/> carries the
    /// resumable session of an earlier try and is updated as the upload proceeds (for persisting it).
    /// </summary>
    Task<string> StoreAsync(SpooledCheckpoint checkpoint, UploadProgress upload, CancellationToken cancellationToken);

    /// <summary>Makes the checkpoint at <paramref name="uri"/> available as a local file under <paramref name="directory"/> (with its manifest next to it) and returns its path.</summary>
    Task<string> FetchAsync(string uri, string directory, CancellationToken cancellationToken);

    /// <summary>
    /// Fetches what a job resumes from: the committed checkpoint <paramref name="uri"/>, or, when it cannot be read
    /// (deleted, corrupt), the newest valid checkpoint of the job that is not newer than it (by lease epoch, then step);
    /// returns its local path and the URI of the checkpoint fetched.
    /// </summary>
    Task<ResumePoint> FetchForResumeAsync(string jobId, string uri, string directory, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes a job's stored checkpoints that the policy does not keep, never the committed one or a newer one;
    /// returns how many.
    /// </summary>
    Task<int> ApplyRetentionAsync(string jobId, RetentionPolicy policy, CancellationToken cancellationToken);

    /// <summary>Deletes one stored checkpoint (a stale writer's upload).</summary>
    Task DeleteAsync(string uri, CancellationToken cancellationToken);
}
