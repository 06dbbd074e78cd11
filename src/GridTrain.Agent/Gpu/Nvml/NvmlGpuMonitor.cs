using System.Runtime.InteropServices;
using System.Text;
using GridTrain.Domain.Agents;

namespace GridTrain.Agent.Gpu.Nvml;

/// <summary>GPUs through NVML: discovery when opened, a reading per call. NVML is thread-safe; handles stay valid until shutdown.</summary>
public sealed class NvmlGpuMonitor : IGpuMonitor
{
    private readonly IntPtr[] _handles;
    private readonly NvmlHealthReader _health;
    private int _disposed;

    private NvmlGpuMonitor(IntPtr[] handles, IReadOnlyList<GpuDevice> devices)
    {
        _handles = handles;
        _health = new NvmlHealthReader(handles);
        Devices = devices;
    }

    public IReadOnlyList<GpuDevice> Devices { get; }

    /// <summary>
    /// Initializes NVML and lists the GPUs. False, with the reason, when the library is missing, the driver is not loaded,
    /// or discovery fails.
    /// </summary>
    public static bool TryOpen([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out NvmlGpuMonitor? monitor, out string reason)
    {
        monitor = null;
        if (!NativeLibrary.TryLoad(NvmlNative.Library, out _))
        {
            reason = $"{NvmlNative.Library} not found: no NVIDIA driver on this machine";
            return false;
        }

        NvmlReturn init;
        try
        {
            init = NvmlNative.Init();
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            reason = $"{NvmlNative.Library} not loadable: {ex.Message.Split('\n')[0]}";
            return false;
        }

        if (init != NvmlReturn.Success)
        {
            reason = $"nvmlInit_v2 returned {Describe(init)}";
            return false;
        }

        try
        {
            Check(NvmlNative.DeviceGetCount(out var count), "nvmlDeviceGetCount_v2");
            var handles = new IntPtr[count];
            var devices = new List<GpuDevice>((int)count);
            for (var index = 0u; index < count; index++)
            {
                Check(NvmlNative.DeviceGetHandleByIndex(index, out handles[index]), "nvmlDeviceGetHandleByIndex_v2");
                Check(NvmlNative.DeviceGetMemoryInfo(handles[index], out var memory), "nvmlDeviceGetMemoryInfo");
                devices.Add(new GpuDevice((int)index, ReadUuid(handles[index]), ReadName(handles[index]), (long)memory.Total));
            }

            monitor = new NvmlGpuMonitor(handles, devices);
            reason = "";
            return true;
        }
        catch (GpuMonitorException ex)
        {
            NvmlNative.Shutdown();
            reason = ex.Message;
            return false;
        }
    }

    public GpuReading Read(int index)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (index < 0 || index >= _handles.Length)
        {
            throw new GpuMonitorException($"no GPU with index {index}: NVML lists {_handles.Length}");
        }

        var device = _handles[index];
        var utilization = Optional(NvmlNative.DeviceGetUtilizationRates(device, out var rates), "nvmlDeviceGetUtilizationRates") ? rates.Gpu / 100.0 : (double?)null;
        var hasMemory = Optional(NvmlNative.DeviceGetMemoryInfo(device, out var memory), "nvmlDeviceGetMemoryInfo");
        var temperature = Optional(NvmlNative.DeviceGetTemperature(device, NvmlNative.TemperatureGpu, out var celsius), "nvmlDeviceGetTemperature") ? celsius : (double?)null;
        var power = Optional(NvmlNative.DeviceGetPowerUsage(device, out var milliwatts), "nvmlDeviceGetPowerUsage") ? milliwatts / 1000.0 : (double?)null;
        return new GpuReading(
            utilization,
            hasMemory ? (long)memory.Used : null,
            hasMemory ? (long)memory.Total : null,
            temperature,
            power);
    }

    public Health.GpuHealthSignals ReadHealth(int index)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (index < 0 || index >= _handles.Length)
        {
            throw new GpuMonitorException($"no GPU with index {index}: NVML lists {_handles.Length}");
        }

        return _health.Read(index);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _health.Dispose();
            NvmlNative.Shutdown();
        }
    }

    /// <summary>True on success; false where the GPU does not offer the value; throws on a real failure.</summary>
    private static bool Optional(NvmlReturn result, string call)
    {
        if (result is NvmlReturn.NotSupported or NvmlReturn.NoData or NvmlReturn.NoPermission)
        {
            return false;
        }

        Check(result, call);
        return true;
    }

    private static void Check(NvmlReturn result, string call)
    {
        if (result != NvmlReturn.Success)
        {
            throw new GpuMonitorException($"{call} returned {Describe(result)}", result == NvmlReturn.GpuIsLost);
        }
    }

    private static unsafe string ReadUuid(IntPtr device)
    {
        var buffer = stackalloc byte[NvmlNative.StringBufferSize];
        Check(NvmlNative.DeviceGetUuid(device, buffer, NvmlNative.StringBufferSize), "nvmlDeviceGetUUID");
        return Utf8(buffer);
    }

    private static unsafe string ReadName(IntPtr device)
    {
        var buffer = stackalloc byte[NvmlNative.StringBufferSize];
        Check(NvmlNative.DeviceGetName(device, buffer, NvmlNative.StringBufferSize), "nvmlDeviceGetName");
        return Utf8(buffer);
    }

    private static unsafe string Utf8(byte* buffer)
    {
        var length = 0;
        while (length < NvmlNative.StringBufferSize && buffer[length] != 0)
        {
            length++;
        }

        return Encoding.UTF8.GetString(buffer, length);
    }

    private static string Describe(NvmlReturn result)
    {
        var message = Marshal.PtrToStringUTF8(NvmlNative.ErrorString(result));
        return $"{(int)result} ({message ?? result.ToString()})";
    }
}
