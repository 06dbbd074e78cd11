using GridTrain.Domain.Jobs;
using GridTrain.Domain.Sessions;

namespace GridTrain.Domain.Eviction;

/// <summary>
/// Colab's rules: a session is idle when no job runs or waits in it and no client has touched it for its idle
/// timeout; idle or not, it ends with its lifetime. Pure: the caller supplies the session, its jobs and the time.
/// </summary>
public static class IdlePolicy
{
    public static IdleExplanation Explain(Session session, IReadOnlyList<Job> jobs, DateTimeOffset lastActivity, DateTimeOffset now)
    {
        var reasons = new List<string>();
        var running = jobs.Where(j => j.State == JobState.Running).Select(j => j.Id).ToList();
        var queued = jobs.Where(j => j.State == JobState.Queued).Select(j => j.Id).ToList();
        reasons.AddRange(running.Select(id => $"job {id} is running"));
        reasons.AddRange(queued.Select(id => $"job {id} is queued"));

        var idleSince = lastActivity;
        var idleEvictionAt = idleSince + session.IdleTimeout;
        var busy = running.Count > 0 || queued.Count > 0;
        if (!busy)
        {
            reasons.Add(now < idleEvictionAt
                ? $"no job running or queued; last client activity {Ago(now - lastActivity)} ago, idle after {Format(session.IdleTimeout)} without activity"
                : $"no job running or queued and no client activity since {lastActivity:u}");
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
