using GridTrain.Agent.Gpu;
using GridTrain.Agent.Gpu.Health;
using GridTrain.Domain.Agents;

namespace GridTrain.Testing;

/// <summary>
/// GPUs as NVML would report them, for machines without one: fixed devices, settable readings, and every health fault
/// the agent acts on, injectable. Like NVML, a value the GPU does not support is null, a GPU that fell off the bus fails
/// its reads with "GPU is lost", and an Xid event is delivered once (to the next health read).
/// </summary>
public sealed class FakeGpuMonitor(params GpuDevice[] devices) : IGpuMonitor
{
    private readonly Dictionary<int, GpuReading> _readings = [];
    private readonly Dictionary<int, GpuHealthSignals> _health = [];
    private readonly Dictionary<int, List<int>> _xids = [];
    private readonly HashSet<int> _lost = [];

    public IReadOnlyList<GpuDevice> Devices { get; } = devices;

    public int Reads { get; private set; }

    /// <summary>Health reads so far, of every GPU.</summary>
    public int HealthReads { get; private set; }

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

    /// <summary>Delivers a critical Xid event for the GPU (once, to the next health read).</summary>
    public void RaiseXid(int index, int xid)
    {
        lock (_readings)
        {
            (_xids.TryGetValue(index, out var list) ? list : _xids[index] = []).Add(xid);
        }
    }

    /// <summary>Sets the GPU's volatile uncorrectable ECC count (it starts at 0).</summary>
    public void SetUncorrectableEcc(int index, long count) => Update(index, h => h with { UncorrectableEccErrors = count });

    /// <summary>Sets whether pages are pending retirement (or, with <paramref name="remap"/>, rows pending remapping).</summary>
    public void SetPending(int index, bool pending, bool remap = false) =>
        Update(index, h => remap ? h with { RowsPendingRemap = pending } : h with { PagesPendingRetirement = pending });

    /// <summary>Sets which hardware slowdowns are engaged.</summary>
    public void SetSlowdown(int index, GpuSlowdown slowdown) => Update(index, h => h with { Slowdown = slowdown });

    /// <summary>The GPU answers again and reports nothing wrong (ECC count kept: it only counts a rise).</summary>
    public void Heal(int index)
    {
        lock (_readings)
        {
            _lost.Remove(index);
            var ecc = _health.TryGetValue(index, out var h) ? h.UncorrectableEccErrors : 0;
            _health[index] = GpuHealthSignals.Clean with { UncorrectableEccErrors = ecc };
        }
    }

    public GpuReading Read(int index)
    {
        lock (_readings)
        {
            Reads++;
            ThrowIfLostOrUnknown(index, "nvmlDeviceGetUtilizationRates");
            var device = Devices.First(d => d.Index == index);
            return _readings.TryGetValue(index, out var reading) ? reading : new GpuReading(0, 0, device.MemoryBytes, 30, 50);
        }
    }

    public GpuHealthSignals ReadHealth(int index)
    {
        lock (_readings)
        {
            HealthReads++;
            ThrowIfLostOrUnknown(index, "nvmlDeviceGetTotalEccErrors");
            var signals = _health.TryGetValue(index, out var health) ? health : GpuHealthSignals.Clean;
            if (_xids.Remove(index, out var xids))
            {
                signals = signals with { Xids = xids };
            }

            return signals;
        }
    }

    public void Dispose()
    {
    }

    private void Update(int index, Func<GpuHealthSignals, GpuHealthSignals> change)
    {
        lock (_readings)
        {
            _health[index] = change(_health.TryGetValue(index, out var health) ? health : GpuHealthSignals.Clean);
        }
    }

    private void ThrowIfLostOrUnknown(int index, string call)
    {
        if (_lost.Contains(index))
        {
            throw new GpuMonitorException($"{call} returned 15 (GPU is lost)", isLost: true);
        }

        if (Devices.All(d => d.Index != index))
        {
            throw new GpuMonitorException($"no GPU with index {index}");
        }
    }
}
