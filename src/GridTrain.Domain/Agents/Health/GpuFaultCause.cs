namespace GridTrain.Domain.Agents.Health;

/// <summary>Why a GPU was taken out of service; the <c>cause</c> label of the GPU fault counter.</summary>
public enum GpuFaultCause
{
    /// <summary>NVML reported a critical Xid event that is not an application error (see <see cref="XidCodes"/>).</summary>
    Xid = 1,

    /// <summary>The GPU's volatile uncorrectable ECC error count rose since the previous check.</summary>
    EccUncorrectable = 2,

    /// <summary>Pages are pending retirement or rows pending remapping: the GPU needs a reset before it can be trusted.</summary>
    PagesPending = 3,

    /// <summary>NVML answers "GPU is lost": the GPU fell off the bus.</summary>
    Lost = 4,

    /// <summary>Hardware (thermal or power brake) slowdown is engaged.</summary>
    HardwareSlowdown = 5,

    /// <summary>The operator's health command (<c>--gpu-health-command</c>) failed or timed out.</summary>
    HealthCommand = 6,
}

/// <summary>Label values of <see cref="GpuFaultCause"/>.</summary>
public static class GpuFaultCauses
{
    /// <summary>Every cause, in declaration order.</summary>
    public static IReadOnlyList<GpuFaultCause> All { get; } = Enum.GetValues<GpuFaultCause>();

    /// <summary>The lower-case label value: <c>xid</c>, <c>ecc_uncorrectable</c>, <c>pages_pending</c>, <c>lost</c>, <c>hw_slowdown</c> or <c>health_command</c>.</summary>
    public static string Label(this GpuFaultCause cause) => cause switch
    {
        GpuFaultCause.Xid => "xid",
        GpuFaultCause.EccUncorrectable => "ecc_uncorrectable",
        GpuFaultCause.PagesPending => "pages_pending",
        GpuFaultCause.Lost => "lost",
        GpuFaultCause.HardwareSlowdown => "hw_slowdown",
        GpuFaultCause.HealthCommand => "health_command",
        _ => throw new ArgumentOutOfRangeException(nameof(cause), cause, null),
    };

    /// <summary>The cause of a label value; null when unknown.</summary>
    public static GpuFaultCause? Parse(string label) => All.Cast<GpuFaultCause?>().FirstOrDefault(c => c!.Value.Label() == label);
}
