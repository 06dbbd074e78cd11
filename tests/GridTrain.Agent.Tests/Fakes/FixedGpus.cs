using GridTrain.Agent.Gpu;
using GridTrain.Domain.Agents;

namespace GridTrain.Agent.Tests.Fakes;

/// <summary>GPUs with fixed readings, as NVML would report them; a GPU without a reading fails its reads (fell off the bus).</summary>
internal sealed class FixedGpus(IReadOnlyDictionary<int, GpuReading> readings, params GpuDevice[] devices) : IGpuMonitor
{
    public IReadOnlyList<GpuDevice> Devices { get; } = devices;

    public GpuReading Read(int index) =>
        readings.TryGetValue(index, out var reading) ? reading : throw new GpuMonitorException($"GPU {index} is lost");

    public GridTrain.Agent.Gpu.Health.GpuHealthSignals ReadHealth(int index) =>
        readings.ContainsKey(index) ? GridTrain.Agent.Gpu.Health.GpuHealthSignals.Clean : throw new GpuMonitorException($"GPU {index} is lost");

    public void Dispose()
    {
    }
}
