namespace GridTrain.Agent.Gpu.Health;

/// <summary>What the driver says about a GPU's health at one check.</summary>
/// <param name="Xids">Critical Xid events since the previous check, oldest first.</param>
/// <param name="UncorrectableEccErrors">Volatile uncorrectable ECC errors since the driver loaded; null without ECC.</param>
/// <param name="PagesPendingRetirement">Pages are waiting to be retired (older GPUs); a reset is needed.</param>
/// <param name="RowsPendingRemap">Rows are waiting to be remapped (A100 and later); a reset is needed.</param>
/// <param name="Slowdown">Which hardware slowdowns are engaged.</param>
public sealed record GpuHealthSignals(
    IReadOnlyList<int> Xids,
    long? UncorrectableEccErrors,
    bool PagesPendingRetirement,
    bool RowsPendingRemap,
    GpuSlowdown Slowdown)
{
    /// <summary>Nothing wrong.</summary>
    public static GpuHealthSignals Clean { get; } = new([], 0, false, false, GpuSlowdown.None);
}

/// <summary>Hardware slowdowns (NVML clock event reasons); software power capping and idle clocks are not faults.</summary>
[Flags]
public enum GpuSlowdown
{
    None = 0,

    /// <summary><c>HW_SLOWDOWN</c>: thermal or power hardware slowdown, or an external power brake.</summary>
    Hardware = 1,

    /// <summary><c>HW_THERMAL_SLOWDOWN</c>: the GPU is too hot.</summary>
    Thermal = 2,

    /// <summary><c>HW_POWER_BRAKE_SLOWDOWN</c>: the external power brake assertion is on.</summary>
    PowerBrake = 4,
}
