using GridTrain.Domain.AgentProtocol;
namespace GridTrain.Domain.Coordination;

/// <summary>Timing and retry rules of the controller.</summary>
public sealed class GridOptions
{
    /// <summary>How often agents heartbeat. Default 2 seconds.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Silence after which an agent is lost and its sessions rescheduled. Default 10 seconds.</summary>
    public TimeSpan AgentTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts a job gets when infrastructure fails under it (agent lost, process killed). Default 3.</summary>
    public int MaxJobAttempts { get; set; } = 3;

    /// <summary>Idle timeout of a session that does not ask for one. Default 90 minutes.</summary>
    public TimeSpan DefaultIdleTimeout { get; set; } = TimeSpan.FromMinutes(90);

    /// <summary>Maximum lifetime of a session that does not ask for one. Default 12 hours.</summary>
    public TimeSpan DefaultMaxLifetime { get; set; } = TimeSpan.FromHours(12);

    /// <summary>Longest idle timeout a session may ask for. Default 24 hours.</summary>
    public TimeSpan MaxIdleTimeout { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Longest lifetime a session may ask for. Default 7 days.</summary>
    public TimeSpan MaxLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long before an eviction watchers are warned. Default 5 minutes.</summary>
    public TimeSpan EvictionWarning { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long an eviction waits for a running job to checkpoint and stop. Default 2 minutes.</summary>
    public TimeSpan EvictionGrace { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Whether a pending session may preempt lower-priority ones: the victims (least work lost since their last
    /// checkpoint first) checkpoint, stop and go back to the queue. Default false.
    /// </summary>
    public bool Preemption { get; set; }

    /// <summary>
    /// A running job that reports no progress for this long counts as stalled, and its session as idle (so a hung
    /// training loop does not hold a GPU forever). Zero turns the check off. Default zero.
    /// </summary>
    public TimeSpan StallTimeout { get; set; }

    /// <summary>
    /// A running job whose session's GPUs stay below this utilization (0–1) for <see cref="StallTimeout"/> counts as
    /// stalled too (a notebook holding a GPU it does not use). Zero turns the check off. Needs a stall timeout and
    /// agents that read their GPUs (NVML). Default zero.
    /// </summary>
    public double GpuStallThreshold { get; set; }

    /// <summary>
    /// Whether sessions may run their users' own code: exec, file copies and command jobs. Off, those answer
    /// PERMISSION_DENIED and the grid runs built-in jobs only. Default true.
    /// </summary>
    public bool UserCode { get; set; } = true;

    /// <summary>Per-user GPU quotas. Default: none.</summary>
    public Quotas.QuotaOptions Quota { get; set; } = new();

    /// <summary>Problems with the options, each with a hint.</summary>
    public IEnumerable<string> Validate()
    {
        if (HeartbeatInterval <= TimeSpan.Zero)
        {
            yield return $"HeartbeatInterval must be positive, got {HeartbeatInterval}";
        }

        if (AgentTimeout <= HeartbeatInterval)
        {
            yield return $"AgentTimeout ({AgentTimeout}) must be longer than HeartbeatInterval ({HeartbeatInterval}); use at least three intervals";
        }

        if (DefaultIdleTimeout <= TimeSpan.Zero || DefaultIdleTimeout > MaxIdleTimeout)
        {
            yield return $"DefaultIdleTimeout ({DefaultIdleTimeout}) must be positive and at most MaxIdleTimeout ({MaxIdleTimeout})";
        }

        if (DefaultMaxLifetime <= TimeSpan.Zero || DefaultMaxLifetime > MaxLifetime)
        {
            yield return $"DefaultMaxLifetime ({DefaultMaxLifetime}) must be positive and at most MaxLifetime ({MaxLifetime})";
        }

        if (EvictionWarning < TimeSpan.Zero || EvictionGrace <= TimeSpan.Zero)
        {
            yield return $"EvictionWarning ({EvictionWarning}) must not be negative and EvictionGrace ({EvictionGrace}) must be positive";
        }

        if (Quota.MaxConcurrentGpus < 0 || Quota.GpuHoursPerWindow < 0 || Quota.UnitsPerWindow < 0 || Quota.Window <= TimeSpan.Zero)
        {
            yield return "Quota: limits must not be negative and the window must be positive";
        }

        if (GpuStallThreshold is < 0 or > 1 || double.IsNaN(GpuStallThreshold))
        {
            yield return $"GpuStallThreshold must be between 0 and 1 (a utilization), got {GpuStallThreshold}";
        }
        else if (GpuStallThreshold > 0 && StallTimeout <= TimeSpan.Zero)
        {
            yield return $"GpuStallThreshold ({GpuStallThreshold}) needs a StallTimeout: it is how long utilization must stay below it";
        }

        if (MaxJobAttempts < 1)
        {
            yield return $"MaxJobAttempts must be at least 1, got {MaxJobAttempts}";
        }
    }
}
