namespace GridTrain.Domain.Telemetry;

/// <summary>Why a session left its agent before it ended; the <c>reason</c> label of the evictions counter.</summary>
public enum EvictionCause
{
    /// <summary>No job and no client activity for the idle timeout (or a stalled job).</summary>
    Idle = 1,

    /// <summary>The session's maximum lifetime ran out.</summary>
    Lifetime = 2,

    /// <summary>A higher-priority session took its place.</summary>
    Preempted = 3,

    /// <summary>Its agent is being drained; the session moves.</summary>
    Drain = 4,

    /// <summary>A GPU it holds was taken out of service (an Xid, ECC errors, a lost GPU…); the session moves.</summary>
    GpuFault = 5,
}

/// <summary>Label values of <see cref="EvictionCause"/>.</summary>
public static class EvictionCauses
{
    /// <summary>The lower-case label value: <c>idle</c>, <c>lifetime</c>, <c>preempted</c>, <c>drain</c> or <c>gpu_fault</c>.</summary>
    public static string Label(this EvictionCause cause) => cause switch
    {
        EvictionCause.Idle => "idle",
        EvictionCause.Lifetime => "lifetime",
        EvictionCause.Preempted => "preempted",
        EvictionCause.Drain => "drain",
        EvictionCause.GpuFault => "gpu_fault",
        _ => throw new ArgumentOutOfRangeException(nameof(cause), cause, null),
    };
}
