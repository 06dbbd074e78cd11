namespace GridTrain.Domain.Sessions;

/// <summary>An entry of a session's event stream: the state it entered, where, and why.</summary>
public sealed record SessionChange(string SessionId, long Sequence, DateTimeOffset Time, SessionState State, string? AgentId, string Reason);
