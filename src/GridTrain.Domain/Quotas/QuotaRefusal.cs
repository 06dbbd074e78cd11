namespace GridTrain.Domain.Quotas;

/// <summary>The limit a session request is over.</summary>
public enum QuotaLimit
{
    ConcurrentGpus,
    GpuHours,
    Units,
}

/// <summary>Why a session does not fit its owner's quota: the limit, and a message naming it and when it frees.</summary>
public sealed record QuotaRefusal(QuotaLimit Limit, string Message);
