using System.Collections.Concurrent;

namespace GridTrain.Domain.Agents;

/// <summary>
/// When each agent was last heard from (registration or heartbeat), kept in memory. An agent not heard from since this
/// controller started counts from its start, so after a restart every agent gets a full timeout to reconnect.
/// </summary>
public sealed class AgentLiveness
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastSeen = new(StringComparer.Ordinal);
    private readonly TimeSpan _timeout;

    /// <param name="time">The clock; the controller's start is read from it once.</param>
    /// <param name="timeout">Silence after which an agent counts as lost.</param>
    public AgentLiveness(TimeProvider time, TimeSpan timeout)
    {
        StartedAt = time.GetUtcNow();
        _timeout = timeout;
    }

    /// <summary>When this controller started: the silence of an agent not heard from since counts from here.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>Notes that the agent was heard from at <paramref name="at"/>.</summary>
    public void Seen(string agentId, DateTimeOffset at) => _lastSeen[agentId] = at;

    /// <summary>When the agent was last heard from by this controller; null if not since it started.</summary>
    public DateTimeOffset? LastSeen(string agentId) => _lastSeen.TryGetValue(agentId, out var seen) ? seen : null;

    /// <summary>The agent's silence at <paramref name="now"/> when it is longer than the timeout (the agent is lost); null while it is not.</summary>
    public TimeSpan? SilenceBeyondTimeout(string agentId, DateTimeOffset now)
    {
        var silence = now - (LastSeen(agentId) ?? StartedAt);
        return silence > _timeout ? silence : null;
    }
}
