namespace GridTrain.Domain.Agents;

/// <summary>One GPU's live use as NVML reported it; null where the GPU does not report the value.</summary>
/// <param name="Index">CUDA device index on the agent's machine.</param>
/// <param name="Utilization">Fraction of the last sample period in which a kernel ran, 0 to 1.</param>
/// <param name="MemoryUsedBytes">Device memory in use.</param>
/// <param name="MemoryTotalBytes">Device memory installed.</param>
public sealed record GpuTelemetry(int Index, double? Utilization, long? MemoryUsedBytes, long? MemoryTotalBytes)
{
    /// <summary>Problems with the reading, each naming its field under <paramref name="field"/>.</summary>
    public IEnumerable<string> Validate(string field)
    {
        if (Index is < 0 or > 63)
        {
            yield return $"{field}.index: must be between 0 and 63, got {Index}";
        }

        if (Utilization is { } utilization && !(utilization is >= 0 and <= 1))
        {
            yield return $"{field}.utilization: must be between 0 and 1, got {utilization}";
        }

        if (MemoryTotalBytes is < 0)
        {
            yield return $"{field}.memory_total_bytes: must not be negative, got {MemoryTotalBytes}";
        }

        if (MemoryUsedBytes is { } used && (used < 0 || used > (MemoryTotalBytes ?? long.MaxValue)))
        {
            yield return $"{field}.memory_used_bytes: must be between 0 and memory_total_bytes, got {used}";
        }
    }
}
