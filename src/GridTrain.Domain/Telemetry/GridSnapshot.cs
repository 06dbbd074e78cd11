using GridTrain.Domain.Agents;
using GridTrain.Domain.Sessions;

namespace GridTrain.Domain.Telemetry;

/// <summary>
/// The grid's state at <paramref name="At"/>, for gauges. Times are kept as instants so a reader computes ages and
/// countdowns at the moment it reads.
/// </summary>
/// <param name="At">When the snapshot was taken.</param>
/// <param name="SessionsByState">Sessions per state, every state present (zero included).</param>
/// <param name="AgentsByState">Agents: <c>ready</c>, <c>cordoned</c> (ready but taking no new sessions) and <c>lost</c>.</param>
/// <param name="QueuedSessions">Sessions waiting for an agent (pending).</param>
/// <param name="QueuedJobs">Jobs waiting to start in their session.</param>
/// <param name="Sessions">Live sessions (pending or holding resources).</param>
/// <param name="Agents">Agents that are not lost.</param>
public sealed record GridSnapshot(
    DateTimeOffset At,
    IReadOnlyDictionary<SessionState, int> SessionsByState,
    IReadOnlyDictionary<string, int> AgentsByState,
    int QueuedSessions,
    int QueuedJobs,
    IReadOnlyList<SessionSnapshot> Sessions,
    IReadOnlyList<AgentSnapshot> Agents)
{
    /// <summary>Compute units per user: spent over every session on record, and burning now.</summary>
    public IReadOnlyList<UserUnits> Users { get; init; } = [];

    /// <summary>A grid with nothing in it, before the first snapshot.</summary>
    public static GridSnapshot Empty { get; } = new(
        DateTimeOffset.MinValue,
        Enum.GetValues<SessionState>().ToDictionary(s => s, _ => 0),
        new Dictionary<string, int>(StringComparer.Ordinal) { ["ready"] = 0, ["cordoned"] = 0, ["lost"] = 0 },
        0,
        0,
        [],
        []);
}

/// <summary>One live session.</summary>
/// <remarks>
/// A value, as <see cref="AgentSnapshot"/> is: a snapshot's tens of thousands of them sit in one large array, which the
/// garbage collector files with the oldest objects; filled with references to new objects instead, every part of it
/// would be scanned by each collection until the array itself was collected.
/// </remarks>
/// <param name="Id">Session id.</param>
/// <param name="State">Its state.</param>
/// <param name="AgentName">Name of the agent holding it; null while pending.</param>
/// <param name="LeaseEpoch">Epoch of its current (or last) lease.</param>
/// <param name="CheckpointAt">When its newest checkpoint was reported; null without one.</param>
/// <param name="EvictionAt">When it will be evicted if nothing changes; null while pending.</param>
/// <param name="EvictionReason"><c>idle</c> or <c>lifetime</c>, with <paramref name="EvictionAt"/>.</param>
/// <param name="ExpiresAt">End of its lifetime.</param>
public readonly record struct SessionSnapshot(
    string Id,
    SessionState State,
    string? AgentName,
    long LeaseEpoch,
    DateTimeOffset? CheckpointAt,
    DateTimeOffset? EvictionAt,
    string? EvictionReason,
    DateTimeOffset ExpiresAt);

/// <summary>One agent that is not lost.</summary>
/// <param name="Name">Agent name.</param>
/// <param name="State">Its state.</param>
/// <param name="LastSeen">Its last heartbeat (or registration) this controller saw; the controller's start for agents not yet back after a restart.</param>
public readonly record struct AgentSnapshot(string Name, AgentState State, DateTimeOffset LastSeen);

/// <summary>One user's compute units as of the snapshot.</summary>
/// <param name="User">The sessions' owner.</param>
/// <param name="UnitsSpent">Units their sessions on record have spent, what runs now included; only grows while records are kept.</param>
/// <param name="BurnRate">Units an hour their sessions spend now.</param>
public sealed record UserUnits(string User, double UnitsSpent, double BurnRate);
