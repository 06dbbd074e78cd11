namespace GridTrain.Domain.Coordination;

/// <summary>
/// Coalesces scheduling passes under load. An operation that changed something scheduling depends on owes a pass;
/// while more operations wait for the gate the pass is left to the last of them (or run every
/// <see cref="MaxDeferredPasses"/>-th operation, so placement never starves), which then places everything pending at once.
/// </summary>
public sealed class SchedulingPasses
{
    /// <summary>Operations in a row that may defer an owed pass before one runs anyway.</summary>
    public const int MaxDeferredPasses = 32;

    private int _waiting;
    private bool _owed;
    private int _deferred;

    /// <summary>Operations waiting for the gate now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Notes an operation starting to wait for the gate.</summary>
    public void StartWaiting() => Interlocked.Increment(ref _waiting);

    /// <summary>Notes an operation done waiting (it holds the gate, or gave up).</summary>
    public void StopWaiting() => Interlocked.Decrement(ref _waiting);

    /// <summary>
    /// Called under the gate after each operation: whether a pass runs now, counting what this operation owes
    /// (<paramref name="owes"/>) and what earlier ones deferred.
    /// </summary>
    public bool RunNow(bool owes)
    {
        _owed |= owes;
        if (!_owed || (Waiting > 0 && ++_deferred < MaxDeferredPasses))
        {
            return false;
        }

        _owed = false;
        _deferred = 0;
        return true;
    }
}
