namespace GridTrain.Controller.Leadership;

/// <summary>
/// The term every write of the leader is conditioned on, and the signal that it was lost: by a failed renewal or by a
/// write the database refused.
/// </summary>
public sealed class LeadershipFence : IDisposable
{
    private readonly CancellationTokenSource _lost = new();
    private volatile string? _reason;

    public LeadershipFence(LeaderTerm term) => Term = term;

    public LeaderTerm Term { get; }

    /// <summary>Cancelled once leadership is lost.</summary>
    public CancellationToken Lost => _lost.Token;

    /// <summary>Why leadership was lost; null while it is held.</summary>
    public string? Reason => _reason;

    /// <summary>Records the loss (the first reason wins) and signals <see cref="Lost"/>.</summary>
    public void MarkLost(string reason)
    {
        Interlocked.CompareExchange(ref _reason, reason, null);
        _lost.Cancel();
    }

    public void Dispose() => _lost.Dispose();
}
