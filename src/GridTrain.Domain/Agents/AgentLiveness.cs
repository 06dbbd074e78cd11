using System.Collections.Concurrent;

namespace GridTrain.Domain.Agents;

/// <summary>
/// When each agent was last heard from (registration or heartbeat), kept in memory. An agent not heard from since this
/// controller started serving counts from then, so after a restart or a failover every agent gets a full timeout to
/// reconnect, however long the controller took to load its state and open its ports.
/// </summary>
public sealed class AgentLiveness
{
    private readonly ConcurrentDictionary<string, SeenAt> _lastSeen = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private long _startedAtUtcTicks;

    /// <param name="time">The clock; the controller's start is read from it now and again by <see cref="StartCounting"/>.</param>
    /// <param name="timeout">Silence after which an agent counts as lost.</param>
    public AgentLiveness(TimeProvider time, TimeSpan timeout)
    {
        _time = time;
        StartCounting();
        _timeout = timeout;
    }

    /// <summary>When this controller started serving: the silence of an agent not heard from since counts from here.</summary>
    /// <remarks>Read by sweeps and snapshots while <see cref="StartCounting"/> may write it: kept as ticks, read whole.</remarks>
    public DateTimeOffset StartedAt => new(Interlocked.Read(ref _startedAtUtcTicks), TimeSpan.Zero);

    /// <summary>
    /// The controller now accepts agents' calls: silence not heard since counts from now. Until then it counted from
    /// construction, which comes before the store is loaded and the ports are open.
    /// </summary>
    public void StartCounting() => Interlocked.Exchange(ref _startedAtUtcTicks, _time.GetUtcNow().UtcTicks);

    /// <summary>Notes that the agent was heard from at <paramref name="at"/>.</summary>
    /// <remarks>
    /// Every heartbeat of every agent comes here, so an agent's entry is written in place and not replaced: a new entry
    /// per heartbeat (what a dictionary of timestamps stores) would be garbage that the long-lived dictionary points to,
    /// and every collection would have to find and copy 10,000 of them.
    /// </remarks>
    public void Seen(string agentId, DateTimeOffset at)
    {
        var seen = _lastSeen.GetOrAdd(agentId, static (_, ticks) => new SeenAt(ticks), at.UtcTicks);
        Interlocked.Exchange(ref seen.UtcTicks, at.UtcTicks);
    }

    /// <summary>When the agent was last heard from by this controller (in UTC); null if not since it started.</summary>
    public DateTimeOffset? LastSeen(string agentId) => _lastSeen.TryGetValue(agentId, out var seen) ? new DateTimeOffset(Interlocked.Read(ref seen.UtcTicks), TimeSpan.Zero) : null;

    /// <summary>The agent's silence at <paramref name="now"/> when it is longer than the timeout (the agent is lost); null while it is not.</summary>
    public TimeSpan? SilenceBeyondTimeout(string agentId, DateTimeOffset now)
    {
        var silence = now - (LastSeen(agentId) ?? StartedAt);
        return silence > _timeout ? silence : null;
    }

    private sealed class SeenAt(long utcTicks)
    {
        public long UtcTicks = utcTicks;
    }
}
