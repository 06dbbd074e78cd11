namespace GridTrain.Domain.Sessions;

/// <summary>The allowed moves of the session state machine.</summary>
public static class SessionTransitions
{
    private static readonly Dictionary<SessionState, SessionState[]> s_allowed = new()
    {
        [SessionState.Pending] = [SessionState.Starting, SessionState.Terminated, SessionState.Failed],
        [SessionState.Starting] = [SessionState.Ready, SessionState.Busy, SessionState.Pending, SessionState.Terminated, SessionState.Failed, SessionState.Evicted, SessionState.Suspended],
        [SessionState.Ready] = [SessionState.Busy, SessionState.Pending, SessionState.Terminated, SessionState.Failed, SessionState.Evicted, SessionState.Suspended],
        [SessionState.Busy] = [SessionState.Ready, SessionState.Pending, SessionState.Terminated, SessionState.Failed, SessionState.Evicted, SessionState.Suspended],
        [SessionState.Suspended] = [SessionState.Pending, SessionState.Terminated],
        [SessionState.Evicted] = [SessionState.Pending, SessionState.Terminated],
        [SessionState.Terminated] = [],
        [SessionState.Failed] = [],
    };

    public static bool IsAllowed(SessionState from, SessionState to) => s_allowed[from].Contains(to);

    public static void Ensure(SessionState from, SessionState to, string sessionId)
    {
        if (!IsAllowed(from, to))
        {
            throw new GridException(GridError.FailedPrecondition, $"session {sessionId} cannot go from {from} to {to}");
        }
    }
}
