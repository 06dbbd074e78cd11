namespace GridTrain.Domain.Quotas;

/// <summary>
/// What a user uses now, against their limits (0: no limit): GPUs held, GPU-hours and compute units spent within the
/// rolling window (what runs now included), the units an hour their sessions burn now, and when the oldest spending in
/// the window starts leaving it (null when nothing was spent).
/// </summary>
public sealed record QuotaUsage(
    string Owner,
    int ConcurrentGpus,
    int MaxConcurrentGpus,
    double GpuHours,
    double GpuHoursPerWindow,
    TimeSpan Window,
    double UnitsSpent = 0,
    double UnitsPerWindow = 0,
    double BurnRate = 0,
    DateTimeOffset? UnitsFreeAt = null,
    QuotaExhaustion Exhausted = QuotaExhaustion.Refuse)
{
    /// <summary>True when the user has spent every unit the window allows.</summary>
    public bool UnitsExhausted => UnitsPerWindow > 0 && UnitsSpent >= UnitsPerWindow;
}
