namespace GridTrain.Agent.Gpu;

/// <summary>One reading of a GPU; null where the GPU does not report the value.</summary>
/// <param name="Utilization">Fraction of the last sample period in which a kernel ran, 0 to 1.</param>
/// <param name="MemoryUsedBytes">Device memory in use.</param>
/// <param name="MemoryTotalBytes">Device memory installed.</param>
/// <param name="TemperatureCelsius">Core temperature.</param>
/// <param name="PowerWatts">Board power draw.</param>
public sealed record GpuReading(
    double? Utilization,
    long? MemoryUsedBytes,
    long? MemoryTotalBytes,
    double? TemperatureCelsius,
    double? PowerWatts);
