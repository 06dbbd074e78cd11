using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Agents;
using GridTrain.Domain.Eviction;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Sessions;
using GridTrain.Domain.Telemetry;

namespace GridTrain.Domain.Coordination;

public sealed partial class GridCoordinator
{
    /// <summary>The grid's state for gauges: counts by state, the queue, and every live session and agent.</summary>
    /// <remarks>
    /// Reads outside the operation gate, as heartbeats do, so metrics never make an operation wait. An operation that
    /// commits while it reads may show in some counts and not yet in others; the next snapshot catches up.
    /// </remarks>
    public async Task<GridSnapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        var tx = new GridTransaction(_store, _time.GetUtcNow(), cancellationToken);
        var sessions = await tx.ListSessionsAsync();
        var jobs = await tx.ListJobsAsync(null);
        var agents = await tx.ListAgentsAsync();
        var agentNames = agents.ToDictionary(a => a.Id, a => a.Name, StringComparer.Ordinal);
        var jobsBySession = jobs.ToLookup(j => j.SessionId, StringComparer.Ordinal);

        var live = new List<SessionSnapshot>();
        foreach (var session in sessions.Where(s => s.State == SessionState.Pending || s.HoldsResources))
        {
            var sessionJobs = jobsBySession[session.Id].ToList();
            var checkpointAt = sessionJobs.Where(j => j.LatestCheckpointAt is not null).Select(j => j.LatestCheckpointAt).Max();
            var current = WithEvictionDefaults(session);
            var explanation = session.HoldsResources
                ? Explain(current, sessionJobs, tx.Now)
                : null;
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
            tx.Now,
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
            agents
                .Where(a => a.State != AgentState.Lost)
                .Select(a => new AgentSnapshot(a.Name, a.State, _lastSeen.TryGetValue(a.Id, out var seen) ? seen : _startedAt))
                .ToList());
    }
}
