namespace GridTrain.Domain.Sessions;

/// <summary>What a session event reports.</summary>
public enum SessionChangeKind
{
    /// <summary>The session entered a state.</summary>
    StateChanged = 1,

    /// <summary>The session will be evicted at the deadline unless something changes.</summary>
    EvictionWarning = 2,
}

/// <summary>An entry of a session's event stream: the state it entered, where, and why — or a warning of an eviction to come.</summary>
public sealed record SessionChange(
    string SessionId,
    long Sequence,
    DateTimeOffset Time,
    SessionState State,
    string? AgentId,
    string Reason,
    SessionChangeKind Kind = SessionChangeKind.StateChanged,
    DateTimeOffset? EvictionDeadline = null);
