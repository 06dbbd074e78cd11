using GridTrain.Domain.Coordination;
using GridTrain.Domain.Sessions;
using Microsoft.Extensions.Logging;

namespace GridTrain.Domain.AgentProtocol;

/// <summary>
/// When the assignment of each unconfirmed placement was last sent again. A live agent that has not confirmed a
/// placement within the agent timeout never took it (the assignment was lost with a command stream, or the agent
/// dropped it): the assignment is due again, once per agent timeout. Kept in memory; only touched under the
/// coordinator's gate.
/// </summary>
public sealed class PlacementResends(TimeSpan agentTimeout)
{
    private readonly Dictionary<(string SessionId, long LeaseEpoch), DateTimeOffset> _resentAt = [];

    /// <summary>Whether a placement made at <paramref name="placedAt"/> and still unconfirmed is due to be sent again at <paramref name="now"/>.</summary>
    public bool IsDue(string sessionId, long leaseEpoch, DateTimeOffset placedAt, DateTimeOffset now)
    {
        var lastSent = _resentAt.TryGetValue((sessionId, leaseEpoch), out var resent) ? resent : placedAt;
        return now - placedAt >= agentTimeout && now - lastSent >= agentTimeout;
    }

    /// <summary>Notes that the placement's assignment was sent again at <paramref name="now"/>.</summary>
    public void Resent(string sessionId, long leaseEpoch, DateTimeOffset now) => _resentAt[(sessionId, leaseEpoch)] = now;

    /// <summary>The placements sent again and not forgotten since.</summary>
    public IReadOnlyList<(string SessionId, long LeaseEpoch)> Tracked() => [.. _resentAt.Keys];

    /// <summary>Forgets a placement that was confirmed, moved or ended.</summary>
    public void Forget(string sessionId, long leaseEpoch) => _resentAt.Remove((sessionId, leaseEpoch));

    /// <summary>Sends again the assignments live agents have not confirmed within the agent timeout.</summary>
    internal async ValueTask ResendDueAsync(GridTransaction tx, AgentDirectiveBus directives, ILogger logger)
    {
        foreach (var session in (await tx.ListSessionsInStateAsync(SessionState.Starting)).Where(s => s.AgentId is not null))
        {
            if (!IsDue(session.Id, session.LeaseEpoch, session.UpdatedAt, tx.Now) || !directives.IsOpen(session.AgentId!))
            {
                continue;
            }

            Resent(session.Id, session.LeaseEpoch, tx.Now);
            CoordinatorLog.PlacementResent(logger, session.Id, session.AgentId!, session.LeaseEpoch, tx.Now - session.UpdatedAt);
            tx.Send(session.AgentId!, new AssignSession(session.Id, session.LeaseEpoch, session.GpuIndexes));
        }

        // Placements confirmed, moved or ended since need no memory.
        foreach (var (sessionId, epoch) in Tracked())
        {
            if (await tx.FindSessionAsync(sessionId) is not { State: SessionState.Starting } current || current.LeaseEpoch != epoch)
            {
                Forget(sessionId, epoch);
            }
        }
    }
}
