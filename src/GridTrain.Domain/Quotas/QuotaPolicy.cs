using GridTrain.Domain.Sessions;

namespace GridTrain.Domain.Quotas;

/// <summary>Measures a user's GPU use and compute units, and decides whether a session fits their quota. Pure.</summary>
public static class QuotaPolicy
{
    public static QuotaUsage Measure(string owner, IEnumerable<Session> sessions, QuotaOptions options, DateTimeOffset now)
    {
        var from = now - options.Window;
        var mine = sessions.Where(s => s.Owner == owner).ToList();
        var concurrent = mine.Where(s => s.HoldsResources).Sum(s => s.GpuIndexes.Count);
        var hours = mine.Sum(s => s.GpuHoursWithin(from, now));
        var units = mine.Sum(s => s.UnitsWithin(from, now));
        var burn = mine.Where(s => s.HoldsResources && s.HeldSince is not null).Sum(s => s.UnitsPerHour);
        return new QuotaUsage(owner, concurrent, options.MaxConcurrentGpus, hours, options.GpuHoursPerWindow, options.Window,
            units, options.UnitsPerWindow, burn, UnitsFreeAt(mine, from, options.Window), options.Exhausted);
    }

    /// <summary>Why a session asking for <paramref name="request"/> does not fit, or null when it does.</summary>
    public static QuotaRefusal? Refusal(ResourceRequest request, QuotaUsage usage, IEnumerable<Session> ownerSessions, QuotaOptions options, DateTimeOffset now)
    {
        var gpus = request.Runtime == Runtime.Gpu ? request.GpuCount : 0;
        if (gpus > 0 && usage.MaxConcurrentGpus > 0 && usage.ConcurrentGpus + gpus > usage.MaxConcurrentGpus)
        {
            return new(QuotaLimit.ConcurrentGpus, $"quota: concurrent GPUs: {usage.Owner} holds {usage.ConcurrentGpus} of {usage.MaxConcurrentGpus}, this session needs {gpus}; "
                + "it frees when one of your sessions ends or is evicted (gridtrain session ls)");
        }

        if (gpus > 0 && usage.GpuHoursPerWindow > 0 && usage.GpuHours >= usage.GpuHoursPerWindow)
        {
            var oldest = ownerSessions.SelectMany(s => s.GpuUsage).Where(u => u.End > now - usage.Window).OrderBy(u => u.Start).FirstOrDefault();
            var frees = oldest is null ? "as your running sessions' use ages out" : $"from {(oldest.Start > now - usage.Window ? oldest.Start : oldest.End) + usage.Window:u}, as your oldest use leaves the window";
            return new(QuotaLimit.GpuHours, $"quota: GPU-hours: {usage.Owner} used {usage.GpuHours:0.##} of {usage.GpuHoursPerWindow:0.##} in the last {usage.Window.TotalHours:0.#}h; it frees {frees}");
        }

        var spends = gpus > 0 ? !options.Rates.GpusAreFree : options.Rates.Cpu > 0;
        if (spends && usage.UnitsExhausted)
        {
            var frees = usage.UnitsFreeAt is { } at ? $"from {at:u}, as your oldest spending leaves the window" : "as your running sessions' spending ages out";
            return new(QuotaLimit.Units, $"quota: compute units: {usage.Owner} spent {usage.UnitsSpent:0.##} of {usage.UnitsPerWindow:0.##} in the last {usage.Window.TotalHours:0.#}h "
                + $"(burning {usage.BurnRate:0.##}/h now); units free {frees}");
        }

        return null;
    }

    /// <summary>Why a new session of <paramref name="owner"/> asking for <paramref name="request"/> does not fit now, or null when it does (or no quota is set).</summary>
    public static QuotaRefusal? RefusalFor(string owner, ResourceRequest request, IReadOnlyList<Session> sessions, QuotaOptions options, DateTimeOffset now)
    {
        if (!options.IsSet)
        {
            return null;
        }

        return Refusal(request, Measure(owner, sessions, options, now), sessions.Where(s => s.Owner == owner), options, now);
    }

    /// <summary>
    /// The pending sessions their owners' quotas allow now, in placement order (priority, then queue order); the rest wait.
    /// With <see cref="QuotaExhaustion.CpuOnly"/>, CPU sessions are admitted once units or GPU-hours run out.
    /// </summary>
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
            var refusal = Refusal(session.Resources, usage, all.Where(s => s.Owner == session.Owner), options, now);
            if (refusal is null || (gpus == 0 && FallsBackToCpu(refusal, options)))
            {
                granted[session.Owner] = granted.GetValueOrDefault(session.Owner) + gpus;
                allowed.Add(session);
            }
        }

        return allowed;
    }

    /// <summary>
    /// True when sessions wait while a rolling-window limit is set: GPU-hours and units leave the window as time passes,
    /// without any write, so each periodic pass looks again at what the window allows now.
    /// </summary>
    public static bool WaitsForTheWindow(QuotaOptions options, IEnumerable<Session> sessions) =>
        (options.GpuHoursPerWindow > 0 || options.UnitsPerWindow > 0) && sessions.Any(s => s.State == SessionState.Pending);

    /// <summary>
    /// Whether a request over a limit may still be admitted as the lesser allowance of <see cref="QuotaExhaustion.CpuOnly"/>:
    /// a CPU session is, once units or GPU-hours run out; a GPU session becomes one.
    /// </summary>
    public static bool FallsBackToCpu(QuotaRefusal refusal, QuotaOptions options) =>
        options.Exhausted == QuotaExhaustion.CpuOnly && refusal.Limit is QuotaLimit.Units or QuotaLimit.GpuHours;

    private static DateTimeOffset? UnitsFreeAt(IEnumerable<Session> sessions, DateTimeOffset from, TimeSpan window)
    {
        var starts = sessions.SelectMany(s => s.UnitUsage.Where(u => u.End > from && u.UnitsPerHour > 0).Select(u => u.Start)
            .Concat(s.HeldSince is { } since && s.UnitsPerHour > 0 ? [since] : []));
        return starts.Select(start => (start > from ? start : from) + window).Order().Cast<DateTimeOffset?>().FirstOrDefault();
    }
}
