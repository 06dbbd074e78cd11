namespace GridTrain.Domain.Quotas;

/// <summary>What a user uses now, against their limits (0: no limit).</summary>
public sealed record QuotaUsage(
    string Owner,
    int ConcurrentGpus,
    int MaxConcurrentGpus,
    double GpuHours,
    double GpuHoursPerWindow,
    TimeSpan Window);
