using System.Runtime.InteropServices;

namespace GridTrain.Agent.Gpu.Nvml;

/// <summary>The NVML C API (<c>nvml.h</c>) calls the agent uses, from the driver's <c>libnvidia-ml.so.1</c>.</summary>
internal static partial class NvmlNative
{
    public const string Library = "libnvidia-ml.so.1";

    /// <summary><c>NVML_DEVICE_UUID_V2_BUFFER_SIZE</c> and <c>NVML_DEVICE_NAME_V2_BUFFER_SIZE</c>.</summary>
    public const int StringBufferSize = 96;

    /// <summary><c>NVML_TEMPERATURE_GPU</c>.</summary>
    public const int TemperatureGpu = 0;

    [LibraryImport(Library, EntryPoint = "nvmlInit_v2")]
    public static partial NvmlReturn Init();

    [LibraryImport(Library, EntryPoint = "nvmlShutdown")]
    public static partial NvmlReturn Shutdown();

    [LibraryImport(Library, EntryPoint = "nvmlErrorString")]
    public static partial IntPtr ErrorString(NvmlReturn result);

    [LibraryImport(Library, EntryPoint = "nvmlDeviceGetCount_v2")]
    public static partial NvmlReturn DeviceGetCount(out uint count);

    [LibraryImport(Library, EntryPoint = "nvmlDeviceGetHandleByIndex_v2")]
    public static partial NvmlReturn DeviceGetHandleByIndex(uint index, out IntPtr device);

    [LibraryImport(Library, EntryPoint = "nvmlDeviceGetUUID")]
    public static unsafe partial NvmlReturn DeviceGetUuid(IntPtr device, byte* uuid, uint length);

    [LibraryImport(Library, EntryPoint = "nvmlDeviceGetName")]
    public static unsafe partial NvmlReturn DeviceGetName(IntPtr device, byte* name, uint length);

    [LibraryImport(Library, EntryPoint = "nvmlDeviceGetMemoryInfo")]
    public static partial NvmlReturn DeviceGetMemoryInfo(IntPtr device, out NvmlMemory memory);

    [LibraryImport(Library, EntryPoint = "nvmlDeviceGetUtilizationRates")]
    public static partial NvmlReturn DeviceGetUtilizationRates(IntPtr device, out NvmlUtilization utilization);

    [LibraryImport(Library, EntryPoint = "nvmlDeviceGetTemperature")]
    public static partial NvmlReturn DeviceGetTemperature(IntPtr device, int sensor, out uint celsius);

    [LibraryImport(Library, EntryPoint = "nvmlDeviceGetPowerUsage")]
    public static partial NvmlReturn DeviceGetPowerUsage(IntPtr device, out uint milliwatts);

    /// <summary><c>nvmlMemory_t</c>: bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct NvmlMemory
    {
        public ulong Total;
        public ulong Free;
        public ulong Used;
    }

    /// <summary><c>nvmlUtilization_t</c>: percent of the last sample period.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct NvmlUtilization
    {
        public uint Gpu;
        public uint Memory;
    }
}
