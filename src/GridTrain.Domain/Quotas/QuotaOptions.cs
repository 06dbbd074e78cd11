namespace GridTrain.Domain.Quotas;

/// <summary>Per-user limits on GPU use.</summary>
public sealed class QuotaOptions
{
    /// <summary>GPUs one user may hold at once; 0 means no limit. Default 0.</summary>
    public int MaxConcurrentGpus { get; set; }

    /// <summary>GPU-hours one user may use within <see cref="Window"/> ("compute units"); 0 means no limit. Default 0.</summary>
    public double GpuHoursPerWindow { get; set; }

    /// <summary>The rolling window of <see cref="GpuHoursPerWindow"/>. Default 24 hours.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Over quota: true queues the session until the quota allows it; false refuses it (RESOURCE_EXHAUSTED). Default false.</summary>
    public bool QueueWhenOverQuota { get; set; }

    /// <summary>Whether any limit is set.</summary>
    public bool IsSet => MaxConcurrentGpus > 0 || GpuHoursPerWindow > 0;
}
