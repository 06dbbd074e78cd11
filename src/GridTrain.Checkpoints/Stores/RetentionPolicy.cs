namespace GridTrain.Checkpoints.Stores;

/// <summary>Which stored checkpoints of a job are kept: the newest <paramref name="KeepLast"/>, plus the one with the best metric when <paramref name="KeepBest"/>.</summary>
public sealed record RetentionPolicy(int KeepLast, bool KeepBest)
{
    /// <summary>
    /// The checkpoints to keep of <paramref name="all"/>: newest by (lease epoch, step), so a stale writer's later
    /// steps count as older than the current attempt's; and the highest metric.
    /// </summary>
    public IReadOnlySet<T> Keep<T>(IEnumerable<T> all, Func<T, (long Epoch, long Step)> key, Func<T, double?> metric)
    {
        var list = all.ToList();
        var keep = list.OrderByDescending(c => key(c).Epoch).ThenByDescending(c => key(c).Step).Take(Math.Max(1, KeepLast)).ToHashSet();
        if (KeepBest && list.Where(c => metric(c) is not null).OrderByDescending(c => metric(c)).ThenByDescending(c => key(c).Step).FirstOrDefault() is { } best)
        {
            keep.Add(best);
        }

        return keep;
    }
}
