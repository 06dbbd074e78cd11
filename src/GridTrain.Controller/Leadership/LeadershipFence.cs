namespace GridTrain.Controller.Leadership;

/// <summary>
/// The term every write of the leader is conditioned on, and the signal that it was lost: by a failed renewal or by a
/// write the database refused. Created before the election (so the controller can be built while it stands by);
/// until <see cref="Assign"/> gives it a term, every write is refused.
/// </summary>
public sealed class LeadershipFence : IDisposable
{
    private readonly CancellationTokenSource _lost = new();
    private LeaderTerm? _term;
    private string? _reason;

    public LeadershipFence()
    {
    }

    public LeadershipFence(LeaderTerm term) => _term = term;

    /// <summary>The term won; null while the replica stands by.</summary>
    public LeaderTerm? Term => Volatile.Read(ref _term);

    /// <summary>Cancelled once leadership is lost.</summary>
    public CancellationToken Lost => _lost.Token;

    /// <summary>Why leadership was lost; null while it is held.</summary>
    public string? Reason => Volatile.Read(ref _reason);

    /// <summary>Sets the term won by the election; once only.</summary>
    public void Assign(LeaderTerm term)
    {
        if (Interlocked.CompareExchange(ref _term, term, null) is not null)
        {
            throw new InvalidOperationException("the fence already has a term");
        }
    }

    /// <summary>Records the loss (the first reason wins) and signals <see cref="Lost"/>.</summary>
    public void MarkLost(string reason)
    {
        Interlocked.CompareExchange(ref _reason, reason, null);
        _lost.Cancel();
    }

    public void Dispose() => _lost.Dispose();
}
