using GridTrain.Agent.Gpu;
using GridTrain.Domain.Agents;

namespace GridTrain.IntegrationTests.Infrastructure;

/// <summary>
/// GPUs as NVML would report them, for machines without one: fixed devices and settable readings. Like NVML, a value the
/// GPU does not support is null, and a GPU that fell off the bus fails its reads.
/// </summary>
public sealed class FakeGpuMonitor(params GpuDevice[] devices) : IGpuMonitor
{
    private readonly Dictionary<int, GpuReading> _readings = [];
    private readonly HashSet<int> _lost = [];

    public IReadOnlyList<GpuDevice> Devices { get; } = devices;

    public int Reads { get; private set; }

    public void Set(int index, GpuReading reading)
    {
        lock (_readings)
        {
            _readings[index] = reading;
        }
    }

    /// <summary>Makes every read of the GPU fail, as NVML's GPU_IS_LOST does.</summary>
    public void Lose(int index)
    {
        lock (_readings)
        {
            _lost.Add(index);
        }
    }

    public GpuReading Read(int index)
    {
        lock (_readings)
        {
            Reads++;
            if (_lost.Contains(index))
            {
                throw new GpuMonitorException($"nvmlDeviceGetUtilizationRates returned 15 (GPU is lost)");
            }

            var device = Devices.FirstOrDefault(d => d.Index == index) ?? throw new GpuMonitorException($"no GPU with index {index}");
            return _readings.TryGetValue(index, out var reading) ? reading : new GpuReading(0, 0, device.MemoryBytes, 30, 50);
        }
    }

    public void Dispose()
    {
    }
}
