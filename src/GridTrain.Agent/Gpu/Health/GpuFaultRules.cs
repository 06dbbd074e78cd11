using GridTrain.Domain.Agents.Health;

namespace GridTrain.Agent.Gpu.Health;

/// <summary>Turns what the driver says about a GPU into the fault that takes it out of service, if any.</summary>
public static class GpuFaultRules
{
    /// <summary>
    /// The fault in <paramref name="signals"/>, the worst first; null when clean. Application Xids are ignored (the job's
    /// fault); uncorrectable ECC errors count only when they rose past <paramref name="previousEcc"/>.
    /// </summary>
    public static GpuFault? Find(GpuHealthSignals signals, long? previousEcc)
    {
        if (signals.Xids.FirstOrDefault(xid => !XidCodes.IsApplicationError(xid)) is var xid and not 0)
        {
            return new GpuFault(GpuFaultCause.Xid, $"Xid {xid}");
        }

        if (signals.UncorrectableEccErrors is { } ecc && previousEcc is { } before && ecc > before)
        {
            return new GpuFault(GpuFaultCause.EccUncorrectable, $"{ecc - before} new volatile uncorrectable ECC error(s)");
        }

        if (signals.PagesPendingRetirement || signals.RowsPendingRemap)
        {
            return new GpuFault(GpuFaultCause.PagesPending, signals.RowsPendingRemap ? "rows pending remapping (reset needed)" : "pages pending retirement (reset needed)");
        }

        if (signals.Slowdown != GpuSlowdown.None)
        {
            return new GpuFault(GpuFaultCause.HardwareSlowdown, $"hardware slowdown ({signals.Slowdown.ToString().ToLowerInvariant()})");
        }

        return null;
    }

    /// <summary>A GPU the driver no longer reaches.</summary>
    public static GpuFault Lost(string detail) => new(GpuFaultCause.Lost, $"GPU is lost ({detail})");
}
