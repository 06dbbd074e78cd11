using GridTrain.Domain.Agents;

namespace GridTrain.Agent.Gpu;

/// <summary>A machine without GPUs (or without the NVIDIA driver): nothing to advertise, nothing to read.</summary>
public sealed class NoGpus : IGpuMonitor
{
    public IReadOnlyList<GpuDevice> Devices => [];

    public GpuReading Read(int index) => throw new GpuMonitorException($"no GPU with index {index}: this machine has no GPUs NVML can see");

    public Health.GpuHealthSignals ReadHealth(int index) => throw new GpuMonitorException($"no GPU with index {index}: this machine has no GPUs NVML can see");

    public void Dispose()
    {
    }
}
