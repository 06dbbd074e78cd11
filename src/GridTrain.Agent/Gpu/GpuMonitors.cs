using GridTrain.Agent.Gpu.Nvml;
using Microsoft.Extensions.Logging;

namespace GridTrain.Agent.Gpu;

/// <summary>Opens the machine's GPU monitor.</summary>
public static partial class GpuMonitors
{
    /// <summary>
    /// NVML's view of the GPUs, or <see cref="NoGpus"/> when <c>libnvidia-ml.so.1</c> is missing or the driver is not
    /// loaded: that is a machine without GPUs, not an error, and is logged once.
    /// </summary>
    public static IGpuMonitor Open(ILogger logger)
    {
        if (!NvmlGpuMonitor.TryOpen(out var monitor, out var reason))
        {
            LogUnavailable(logger, reason);
            return new NoGpus();
        }

        LogFound(logger, monitor.Devices.Count, string.Join(", ", monitor.Devices.Select(d => $"{d.Index}: {d.Model} {d.Uuid}")));
        return monitor;
    }

    [LoggerMessage(1, LogLevel.Information, "NVML unavailable ({Reason}); advertising no GPUs and exporting no GPU metrics", EventName = "NvmlUnavailable")]
    private static partial void LogUnavailable(ILogger logger, string reason);

    [LoggerMessage(2, LogLevel.Information, "NVML found {Count} GPU(s): {Devices}", EventName = "NvmlFound")]
    private static partial void LogFound(ILogger logger, int count, string devices);
}
