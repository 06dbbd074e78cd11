namespace GridTrain.Checkpoints.Stores;

/// <summary>
/// The <c>local</c> store: the spool is the store, checkpoints are files on the agent's disk and their URIs are paths.
/// Resuming elsewhere needs the directory shared between machines (e.g. NFS at the same path). Pruning is the agent's
/// (it deletes only what the controller committed newer checkpoints over).
/// </summary>
public sealed class DirectoryCheckpointStore : ICheckpointStore
{
    public string Kind => "local";

    public bool IsRemote => false;

    public bool Owns(string uri) => Path.IsPathFullyQualified(uri);

    public Task<string> StoreAsync(SpooledCheckpoint checkpoint, UploadProgress upload, CancellationToken cancellationToken) => Task.FromResult(checkpoint.Path);

    public Task<string> FetchAsync(string uri, string directory, CancellationToken cancellationToken) =>
        File.Exists(uri) ? Task.FromResult(uri) : throw new FileNotFoundException($"The checkpoint {uri} is not on this machine (the local store needs a shared directory to resume elsewhere)", uri);

    public async Task<ResumePoint> FetchForResumeAsync(string jobId, string uri, string directory, CancellationToken cancellationToken) =>
        new(await FetchAsync(uri, directory, cancellationToken), uri);

    public Task<int> ApplyRetentionAsync(string jobId, RetentionPolicy policy, CancellationToken cancellationToken) => Task.FromResult(0);

    public Task DeleteAsync(string uri, CancellationToken cancellationToken) => Task.CompletedTask;
}
