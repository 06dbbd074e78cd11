namespace GridTrain.Agent.Gpu.Nvml;

/// <summary>NVML's <c>nvmlReturn_t</c> (the codes GridTrain tells apart; the rest keep their number).</summary>
internal enum NvmlReturn
{
    Success = 0,
    Uninitialized = 1,
    InvalidArgument = 2,
    NotSupported = 3,
    NoPermission = 4,
    NotFound = 6,
    InsufficientSize = 7,
    DriverNotLoaded = 9,
    LibraryNotFound = 12,
    FunctionNotFound = 13,
    GpuIsLost = 15,
    NoData = 21,
    Unknown = 999,
}
