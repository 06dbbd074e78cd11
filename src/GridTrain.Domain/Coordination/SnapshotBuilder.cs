using GridTrain.Domain.Agents;
using GridTrain.Domain.Eviction;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Sessions;
using GridTrain.Domain.Telemetry;

namespace GridTrain.Domain.Coordination;

/// <summary>Builds the grid's state for gauges from what the store holds and what the coordinator keeps in memory.</summary>
internal static class SnapshotBuilder
{
    /// <param name="now">The time of the snapshot.</param>
    /// <param name="sessions">Every session.</param>
    /// <param name="jobs">Every job.</param>
    /// <param name="agents">Every agent.</param>
    /// <param name="withDefaults">The session with its eviction defaults applied.</param>
    /// <param name="explain">Why a session (with defaults) is or is not idle.</param>
    /// <param name="lastSeen">When an agent was last heard from.</param>
    public static GridSnapshot Build(
        DateTimeOffset now,
        IReadOnlyList<Session> sessions,
        IReadOnlyList<Job> jobs,
        IReadOnlyList<Agent> agents,
        Func<Session, Session> withDefaults,
        Func<Session, IReadOnlyList<Job>, IdleExplanation> explain,
        Func<Agent, DateTimeOffset> lastSeen)
    {
        var agentNames = agents.ToDictionary(a => a.Id, a => a.Name, StringComparer.Ordinal);
        var jobsBySession = jobs.ToLookup(j => j.SessionId, StringComparer.Ordinal);
        var live = new List<SessionSnapshot>();
        foreach (var session in sessions.Where(s => s.State == SessionState.Pending || s.HoldsResources))
        {
            var sessionJobs = jobsBySession[session.Id].ToList();
            var checkpointAt = sessionJobs.Where(j => j.LatestCheckpointAt is not null).Select(j => j.LatestCheckpointAt).Max();
            var current = withDefaults(session);
            var explanation = session.HoldsResources ? explain(current, sessionJobs) : null;
            live.Add(new SessionSnapshot(
                session.Id,
                session.State,
                session.AgentId is { } agentId && agentNames.TryGetValue(agentId, out var name) ? name : null,
                session.LeaseEpoch,
                checkpointAt,
                explanation?.EvictionAt,
                explanation?.EvictionReason,
                current.ExpiresAt));
        }

        return new GridSnapshot(
            now,
            Enum.GetValues<SessionState>().ToDictionary(state => state, state => sessions.Count(s => s.State == state)),
            new Dictionary<string, int>(StringComparer.Ordinal)
            {
                ["ready"] = agents.Count(a => a.State == AgentState.Ready && !a.Cordoned),
                ["cordoned"] = agents.Count(a => a.State == AgentState.Ready && a.Cordoned),
                ["lost"] = agents.Count(a => a.State == AgentState.Lost),
            },
            sessions.Count(s => s.State == SessionState.Pending),
            jobs.Count(j => j.State == JobState.Queued),
            live,
            [.. agents.Where(a => a.State != AgentState.Lost).Select(a => new AgentSnapshot(a.Name, a.State, lastSeen(a)))])
        {
            Users = [.. sessions
                .GroupBy(s => s.Owner, StringComparer.Ordinal)
                .Select(g => new UserUnits(g.Key, g.Sum(s => s.UnitsWithin(DateTimeOffset.MinValue, now)), g.Where(s => s.HoldsResources).Sum(s => s.UnitsPerHour)))],
        };
    }
}
