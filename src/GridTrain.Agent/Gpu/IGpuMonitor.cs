using GridTrain.Agent.Gpu.Health;
using GridTrain.Domain.Agents;

namespace GridTrain.Agent.Gpu;

/// <summary>
/// The machine's GPUs as the driver reports them: the inventory the agent advertises, and live readings for metrics.
/// The real one talks to NVML (<see cref="Nvml.NvmlGpuMonitor"/>); tests use a hand-written double.
/// </summary>
public interface IGpuMonitor : IDisposable
{
    /// <summary>GPUs found when the monitor opened, by NVML index (PCI bus order); empty without GPUs or without NVML.</summary>
    IReadOnlyList<GpuDevice> Devices { get; }

    /// <summary>
    /// Reads the GPU with NVML index <paramref name="index"/> now. A value the GPU does not support (power on some
    /// boards) is null rather than zero, so no metric shows a reading that was never taken.
    /// </summary>
    /// <exception cref="GpuMonitorException">The driver failed to answer (e.g. the GPU fell off the bus).</exception>
    GpuReading Read(int index);

    /// <summary>
    /// Reads what the driver says about the health of the GPU with NVML index <paramref name="index"/>: critical Xid
    /// events since the previous call, ECC counters, pages pending, hardware slowdown.
    /// </summary>
    /// <exception cref="GpuMonitorException">The driver failed to answer; <see cref="GpuMonitorException.IsLost"/> when the GPU fell off the bus.</exception>
    GpuHealthSignals ReadHealth(int index);
}
