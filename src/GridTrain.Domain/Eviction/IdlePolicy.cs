using GridTrain.Domain.Jobs;
using GridTrain.Domain.Sessions;

namespace GridTrain.Domain.Eviction;

/// <summary>
/// Colab's rules: a session is idle when no job runs or waits in it and no client has touched it for its idle
/// timeout; idle or not, it ends with its lifetime. Pure: the caller supplies the session, its jobs and the time.
/// </summary>
public static class IdlePolicy
{
    /// <param name="session">The session.</param>
    /// <param name="jobs">Its jobs.</param>
    /// <param name="lastActivity">Its last client activity.</param>
    /// <param name="now">The time.</param>
    /// <param name="stallTimeout">A running job without progress for this long does not keep the session busy; zero: off.</param>
    public static IdleExplanation Explain(Session session, IReadOnlyList<Job> jobs, DateTimeOffset lastActivity, DateTimeOffset now, TimeSpan stallTimeout = default)
    {
        var reasons = new List<string>();
        var stalled = jobs.Where(j => j.State == JobState.Running && stallTimeout > TimeSpan.Zero && j.LastProgressAt is { } at && now - at >= stallTimeout).ToList();
        reasons.AddRange(stalled.Select(j => $"job {j.Id} is stalled: no progress for {Format(now - j.LastProgressAt!.Value)}"));
        var running = jobs.Where(j => j.State == JobState.Running && !stalled.Contains(j)).Select(j => j.Id).ToList();
        var queued = jobs.Where(j => j.State == JobState.Queued).Select(j => j.Id).ToList();
        reasons.AddRange(running.Select(id => $"job {id} is running"));
        reasons.AddRange(queued.Select(id => $"job {id} is queued"));

        // A stalled job leaves the session idle from when it stopped making progress (or the last activity, if later).
        var idleSince = stalled.Select(j => j.LastProgressAt!.Value + stallTimeout).Append(lastActivity).Max();
        var idleEvictionAt = idleSince + session.IdleTimeout;
        var busy = running.Count > 0 || queued.Count > 0;
        if (!busy)
        {
            var nothing = stalled.Count > 0 ? "no job making progress or queued" : "no job running or queued";
            reasons.Add(now < idleEvictionAt
                ? $"{nothing}; idle since {idleSince:u}, evicted after {Format(session.IdleTimeout)} idle"
                : $"{nothing} and no client activity since {idleSince:u}");
        }

        var idle = !busy && now >= idleEvictionAt;
        if (!session.HoldsResources)
        {
            reasons.Add($"the session is {session.State.ToString().ToLowerInvariant()}: it holds no resources");
            return new IdleExplanation(false, reasons, null, null, lastActivity, session.ExpiresAt);
        }

        var (evictionAt, why) = !busy && idleEvictionAt < session.ExpiresAt
            ? (idleEvictionAt, "idle")
            : (session.ExpiresAt, "lifetime");
        reasons.Add($"lifetime ends at {session.ExpiresAt:u} ({Format(session.MaxLifetime)} after it started)");
        return new IdleExplanation(idle, reasons, evictionAt, why, lastActivity, session.ExpiresAt);
    }

    private static string Ago(TimeSpan span) => Format(span < TimeSpan.Zero ? TimeSpan.Zero : span);

    private static string Format(TimeSpan span) =>
        span.TotalHours >= 1 ? $"{span.TotalHours:0.#}h" : span.TotalMinutes >= 1 ? $"{span.TotalMinutes:0.#}m" : $"{span.TotalSeconds:0}s";
}
