using GridTrain.Domain.Sessions;

namespace GridTrain.Domain.Quotas;

/// <summary>Measures a user's GPU use and decides whether a GPU session fits their quota. Pure.</summary>
public static class QuotaPolicy
{
    public static QuotaUsage Measure(string owner, IEnumerable<Session> sessions, QuotaOptions options, DateTimeOffset now)
    {
        var from = now - options.Window;
        var mine = sessions.Where(s => s.Owner == owner).ToList();
        var concurrent = mine.Where(s => s.HoldsResources).Sum(s => s.GpuIndexes.Count);
        var hours = mine.Sum(s => s.GpuUsage.Sum(u => u.GpuHoursWithin(from, now))
            + (s.HeldSince is { } since && s.GpuIndexes.Count > 0 ? new GpuUsage(since, now, s.GpuIndexes.Count).GpuHoursWithin(from, now) : 0));
        return new QuotaUsage(owner, concurrent, options.MaxConcurrentGpus, hours, options.GpuHoursPerWindow, options.Window);
    }

    /// <summary>Why a session asking for <paramref name="gpus"/> GPUs does not fit, or null when it does.</summary>
    public static string? Refusal(int gpus, QuotaUsage usage, IEnumerable<Session> ownerSessions, DateTimeOffset now)
    {
        if (gpus == 0)
        {
            return null;
        }

        if (usage.MaxConcurrentGpus > 0 && usage.ConcurrentGpus + gpus > usage.MaxConcurrentGpus)
        {
            return $"quota: concurrent GPUs: {usage.Owner} holds {usage.ConcurrentGpus} of {usage.MaxConcurrentGpus}, this session needs {gpus}; "
                + "it frees when one of your sessions ends or is evicted (gridtrain session ls)";
        }

        if (usage.GpuHoursPerWindow > 0 && usage.GpuHours >= usage.GpuHoursPerWindow)
        {
            var oldest = ownerSessions.SelectMany(s => s.GpuUsage).Where(u => u.End > now - usage.Window).OrderBy(u => u.Start).FirstOrDefault();
            var frees = oldest is null ? "as your running sessions' use ages out" : $"from {(oldest.Start > now - usage.Window ? oldest.Start : oldest.End) + usage.Window:u}, as your oldest use leaves the window";
            return $"quota: GPU-hours: {usage.Owner} used {usage.GpuHours:0.##} of {usage.GpuHoursPerWindow:0.##} in the last {usage.Window.TotalHours:0.#}h; it frees {frees}";
        }

        return null;
    }

    /// <summary>Why a new session of <paramref name="owner"/> asking for <paramref name="gpus"/> GPUs does not fit now, or null when it does (or no quota is set).</summary>
    public static string? RefusalFor(string owner, int gpus, IReadOnlyList<Session> sessions, QuotaOptions options, DateTimeOffset now)
    {
        if (gpus == 0 || !options.IsSet)
        {
            return null;
        }

        return Refusal(gpus, Measure(owner, sessions, options, now), sessions.Where(s => s.Owner == owner), now);
    }

    /// <summary>The pending sessions their owners' quotas allow now, in placement order (priority, then queue order); the rest wait.</summary>
    public static List<Session> Admit(IReadOnlyList<Session> pending, IReadOnlyList<Session> all, QuotaOptions options, DateTimeOffset now)
    {
        if (!options.IsSet)
        {
            return [.. pending];
        }

        var granted = new Dictionary<string, int>(StringComparer.Ordinal);
        var allowed = new List<Session>();
        foreach (var session in pending.OrderByDescending(s => s.Priority).ThenBy(s => s.QueueOrder))
        {
            var gpus = session.Resources.Runtime == Runtime.Gpu ? session.Resources.GpuCount : 0;
            var usage = Measure(session.Owner, all, options, now);
            usage = usage with { ConcurrentGpus = usage.ConcurrentGpus + granted.GetValueOrDefault(session.Owner) };
            if (Refusal(gpus, usage, all.Where(s => s.Owner == session.Owner), now) is null)
            {
                granted[session.Owner] = granted.GetValueOrDefault(session.Owner) + gpus;
                allowed.Add(session);
            }
        }

        return allowed;
    }
}
