namespace GridTrain.Checkpoints.Stores;

/// <summary>
/// Which stored checkpoints of a job are kept. Checkpoints are ordered by (lease epoch, step), so a stale writer's later
/// steps count as older than the current attempt's. Retention settles only checkpoints at or below
/// <paramref name="Committed"/>, the newest one the controller has committed for the job: of those it keeps the newest
/// <paramref name="KeepLast"/>, every one at <paramref name="Committed"/> itself, and the one with the best metric when
/// <paramref name="KeepBest"/>; it never deletes a newer one (an upload not yet reported, or a newer lease's).
/// </summary>
/// <param name="KeepLast">How many of the checkpoints at or below <paramref name="Committed"/> are kept, newest first.</param>
/// <param name="KeepBest">Whether the one of them with the highest metric is kept too.</param>
/// <param name="Committed">(lease epoch, step) of the job's newest committed checkpoint, the one the job resumes from.</param>
public sealed record RetentionPolicy(int KeepLast, bool KeepBest, (long Epoch, long Step) Committed)
{
    /// <summary>The checkpoints to keep of <paramref name="all"/>, by their (lease epoch, step) <paramref name="key"/> and <paramref name="metric"/>.</summary>
    public IReadOnlySet<T> Keep<T>(IEnumerable<T> all, Func<T, (long Epoch, long Step)> key, Func<T, double?> metric)
    {
        var list = all.ToList();
        var settled = list.Where(c => key(c).CompareTo(Committed) <= 0).ToList();
        var keep = list.Where(c => key(c).CompareTo(Committed) >= 0).ToHashSet();
        keep.UnionWith(settled.OrderByDescending(c => key(c).Epoch).ThenByDescending(c => key(c).Step).Take(KeepLast));
        if (KeepBest && settled.Where(c => metric(c) is not null).OrderByDescending(c => metric(c)).ThenByDescending(c => key(c).Step).FirstOrDefault() is { } best)
        {
            keep.Add(best);
        }

        return keep;
    }
}
