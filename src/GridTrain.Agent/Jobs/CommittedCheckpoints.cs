namespace GridTrain.Agent.Jobs;

/// <summary>
/// Prunes a job's local checkpoints, but only ones the controller has committed newer checkpoints over: a job process
/// never deletes its own (see <c>WorkerRequest.PruneCheckpoints</c>), so a process running under a lost lease cannot
/// remove the checkpoint the grid resumes from.
/// </summary>
internal sealed class CommittedCheckpoints(int keepLast)
{
    private readonly Queue<string> _committed = new();

    /// <summary>Newest checkpoints kept.</summary>
    public int KeepLast { get; } = keepLast;

    /// <summary>Records checkpoints the controller accepted and returns those that fall out of the newest <c>keepLast</c>.</summary>
    public IReadOnlyList<string> Commit(IEnumerable<string> paths)
    {
        foreach (var path in paths)
        {
            _committed.Enqueue(path);
        }

        var expired = new List<string>();
        while (_committed.Count > KeepLast)
        {
            expired.Add(_committed.Dequeue());
        }

        return expired;
    }

    /// <summary>Deletes a checkpoint and its manifest; a file already gone is fine.</summary>
    public static void Delete(string checkpointPath)
    {
        File.Delete(Path.ChangeExtension(checkpointPath, ".json"));
        File.Delete(checkpointPath);
    }
}
