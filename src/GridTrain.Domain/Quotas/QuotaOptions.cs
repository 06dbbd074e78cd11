namespace GridTrain.Domain.Quotas;

/// <summary>Per-user limits on GPU use and compute units, and what units cost.</summary>
public sealed class QuotaOptions
{
    /// <summary>GPUs one user may hold at once; 0 means no limit. Default 0.</summary>
    public int MaxConcurrentGpus { get; set; }

    /// <summary>GPU-hours one user may use within <see cref="Window"/>; 0 means no limit. Default 0.</summary>
    public double GpuHoursPerWindow { get; set; }

    /// <summary>Compute units one user may spend within <see cref="Window"/>, at <see cref="Rates"/>; 0 means no limit. Default 0.</summary>
    public double UnitsPerWindow { get; set; }

    /// <summary>What an hour of each runtime costs. Default <see cref="UnitRates.Default"/>: 1 unit per GPU, 0 per CPU session.</summary>
    public UnitRates Rates { get; set; } = UnitRates.Default;

    /// <summary>The rolling window of <see cref="GpuHoursPerWindow"/> and <see cref="UnitsPerWindow"/>. Default 24 hours.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromHours(24);

    /// <summary>What happens to a new session over a limit. Default <see cref="QuotaExhaustion.Refuse"/>.</summary>
    public QuotaExhaustion Exhausted { get; set; }

    /// <summary>True when any limit is set.</summary>
    public bool IsSet => MaxConcurrentGpus > 0 || GpuHoursPerWindow > 0 || UnitsPerWindow > 0;
}
