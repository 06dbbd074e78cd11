namespace GridTrain.Domain.Sessions;

/// <summary>Lifecycle of a session: Pending → Starting → Ready ⇄ Busy → Suspended | Terminated | Evicted | Failed.</summary>
public enum SessionState
{
    Pending = 1,
    Starting = 2,
    Ready = 3,
    Busy = 4,
    Suspended = 5,
    Terminated = 6,
    Evicted = 7,
    Failed = 8,
}
