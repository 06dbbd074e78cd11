namespace GridTrain.Domain.Quotas;

/// <summary>What happens to a new session whose owner has reached a quota limit.</summary>
public enum QuotaExhaustion
{
    /// <summary>The request is refused with RESOURCE_EXHAUSTED, naming the limit and when it frees.</summary>
    Refuse,

    /// <summary>The session waits in the queue until its owner's quota allows it.</summary>
    Queue,

    /// <summary>
    /// As on Colab when compute units run out: a GPU session is created as a CPU session instead (its state reason
    /// says why); CPU sessions are always admitted. Concurrent-GPU limits still refuse.
    /// </summary>
    CpuOnly,
}
