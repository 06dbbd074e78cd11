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

    /// <summary><c>nvmlEventTypeXidCriticalError</c>.</summary>
    public const ulong EventTypeXidCriticalError = 0x8;

    /// <summary><c>NVML_MEMORY_ERROR_TYPE_UNCORRECTED</c>.</summary>
    public const int MemoryErrorUncorrected = 1;

    /// <summary><c>NVML_VOLATILE_ECC</c>: since the driver loaded.</summary>
    public const int VolatileEcc = 0;

    /// <summary><c>nvmlClocksEventReasonHwSlowdown</c>, <c>…HwThermalSlowdown</c>, <c>…HwPowerBrakeSlowdown</c>.</summary>
    public const ulong HwSlowdown = 0x8, HwThermalSlowdown = 0x40, HwPowerBrakeSlowdown = 0x80;

    [LibraryImport(Library, EntryPoint = "nvmlEventSetCreate")]
    public static partial NvmlReturn EventSetCreate(out IntPtr set);

    [LibraryImport(Library, EntryPoint = "nvmlEventSetFree")]
    public static partial NvmlReturn EventSetFree(IntPtr set);

    [LibraryImport(Library, EntryPoint = "nvmlDeviceRegisterEvents")]
    public static partial NvmlReturn DeviceRegisterEvents(IntPtr device, ulong eventTypes, IntPtr set);

    [LibraryImport(Library, EntryPoint = "nvmlEventSetWait_v2")]
    public static partial NvmlReturn EventSetWait(IntPtr set, out NvmlEventData data, uint timeoutMilliseconds);

    [LibraryImport(Library, EntryPoint = "nvmlDeviceGetTotalEccErrors")]
    public static partial NvmlReturn DeviceGetTotalEccErrors(IntPtr device, int errorType, int counterType, out ulong count);

    [LibraryImport(Library, EntryPoint = "nvmlDeviceGetRetiredPagesPendingStatus")]
    public static partial NvmlReturn DeviceGetRetiredPagesPendingStatus(IntPtr device, out int isPending);

    [LibraryImport(Library, EntryPoint = "nvmlDeviceGetRemappedRows")]
    public static partial NvmlReturn DeviceGetRemappedRows(IntPtr device, out uint correctableRows, out uint uncorrectableRows, out uint isPending, out uint failureOccurred);

    [LibraryImport(Library, EntryPoint = "nvmlDeviceGetCurrentClocksThrottleReasons")]
    public static partial NvmlReturn DeviceGetCurrentClocksThrottleReasons(IntPtr device, out ulong reasons);

    /// <summary><c>nvmlEventData_t</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct NvmlEventData
    {
        public IntPtr Device;
        public ulong EventType;
        public ulong EventData;
        public uint GpuInstanceId;
        public uint ComputeInstanceId;
    }

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
