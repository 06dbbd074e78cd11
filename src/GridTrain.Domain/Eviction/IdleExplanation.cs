namespace GridTrain.Domain.Eviction;

/// <summary>Why a session is or is not idle, and when it will be evicted if nothing changes.</summary>
/// <param name="Idle">No job running or queued and no client activity within the idle timeout.</param>
/// <param name="Reasons">What keeps the session busy, or why it counts as idle.</param>
/// <param name="EvictionAt">When it will be evicted; null for a session that holds nothing.</param>
/// <param name="EvictionReason"><c>idle</c> or <c>lifetime</c>.</param>
/// <param name="LastActivityAt">Last client activity.</param>
/// <param name="ExpiresAt">End of its lifetime.</param>
public sealed record IdleExplanation(
    bool Idle,
    IReadOnlyList<string> Reasons,
    DateTimeOffset? EvictionAt,
    string? EvictionReason,
    DateTimeOffset LastActivityAt,
    DateTimeOffset ExpiresAt);
