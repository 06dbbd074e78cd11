using GridTrain.Agent.Gpu.Health;

namespace GridTrain.Agent.Gpu.Nvml;

/// <summary>
/// GPU health through NVML: one event set for critical Xids of every GPU (drained without waiting at each check), and
/// per-GPU reads of ECC counters, pending pages and rows, and hardware slowdown. A value the GPU does not support reads
/// as clean.
/// </summary>
internal sealed class NvmlHealthReader : IDisposable
{
    private readonly IntPtr[] _handles;
    private readonly IntPtr _events;
    private readonly List<int>[] _xids;
    private readonly Lock _gate = new();

    public NvmlHealthReader(IntPtr[] handles)
    {
        _handles = handles;
        _xids = [.. handles.Select(_ => new List<int>())];
        if (NvmlNative.EventSetCreate(out _events) != NvmlReturn.Success)
        {
            _events = IntPtr.Zero;
            return;
        }

        foreach (var handle in handles)
        {
            // GPUs without event support (some consumer boards) report no Xids; their other signals still count.
            NvmlNative.DeviceRegisterEvents(handle, NvmlNative.EventTypeXidCriticalError, _events);
        }
    }

    public GpuHealthSignals Read(int index)
    {
        var device = _handles[index];
        List<int> xids;
        lock (_gate)
        {
            Drain();
            xids = [.. _xids[index]];
            _xids[index].Clear();
        }

        var ecc = Supported(NvmlNative.DeviceGetTotalEccErrors(device, NvmlNative.MemoryErrorUncorrected, NvmlNative.VolatileEcc, out var count), "nvmlDeviceGetTotalEccErrors") ? (long)count : (long?)null;
        var pages = Supported(NvmlNative.DeviceGetRetiredPagesPendingStatus(device, out var pagesPending), "nvmlDeviceGetRetiredPagesPendingStatus") && pagesPending != 0;
        var rows = Supported(NvmlNative.DeviceGetRemappedRows(device, out _, out _, out var rowsPending, out var remapFailed), "nvmlDeviceGetRemappedRows") && (rowsPending != 0 || remapFailed != 0);
        var slowdown = GpuSlowdown.None;
        if (Supported(NvmlNative.DeviceGetCurrentClocksThrottleReasons(device, out var reasons), "nvmlDeviceGetCurrentClocksThrottleReasons"))
        {
            slowdown |= (reasons & NvmlNative.HwSlowdown) != 0 ? GpuSlowdown.Hardware : GpuSlowdown.None;
            slowdown |= (reasons & NvmlNative.HwThermalSlowdown) != 0 ? GpuSlowdown.Thermal : GpuSlowdown.None;
            slowdown |= (reasons & NvmlNative.HwPowerBrakeSlowdown) != 0 ? GpuSlowdown.PowerBrake : GpuSlowdown.None;
        }

        return new GpuHealthSignals(xids, ecc, pages, rows, slowdown);
    }

    public void Dispose()
    {
        if (_events != IntPtr.Zero)
        {
            NvmlNative.EventSetFree(_events);
        }
    }

    /// <summary>Moves every pending Xid event to its GPU's list, without waiting.</summary>
    private void Drain()
    {
        if (_events == IntPtr.Zero)
        {
            return;
        }

        while (NvmlNative.EventSetWait(_events, out var data, 0) == NvmlReturn.Success)
        {
            var index = Array.IndexOf(_handles, data.Device);
            if (index >= 0 && data.EventType == NvmlNative.EventTypeXidCriticalError)
            {
                _xids[index].Add((int)data.EventData);
            }
        }
    }

    /// <summary>True on success; false where the GPU does not offer the value; throws on a real failure (a lost GPU included).</summary>
    private static bool Supported(NvmlReturn result, string call)
    {
        if (result is NvmlReturn.NotSupported or NvmlReturn.NoData or NvmlReturn.NoPermission or NvmlReturn.FunctionNotFound)
        {
            return false;
        }

        if (result != NvmlReturn.Success)
        {
            throw new GpuMonitorException($"{call} returned {(int)result} ({result})", result == NvmlReturn.GpuIsLost);
        }

        return true;
    }
}
