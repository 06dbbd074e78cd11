namespace GridTrain.Domain.Agents;

/// <summary>What an agent's machine offers.</summary>
public sealed record Inventory(int CpuCores, long MemoryBytes, IReadOnlyList<GpuDevice> Gpus, int CpuSlots)
{
    /// <summary>Problems with the inventory, each naming its field.</summary>
    public IEnumerable<string> Validate()
    {
        if (CpuCores is < 1 or > 4096)
        {
            yield return $"inventory.cpu_cores: must be between 1 and 4096, got {CpuCores}";
        }

        if (MemoryBytes < 0)
        {
            yield return $"inventory.memory_bytes: must not be negative, got {MemoryBytes}";
        }

        if (CpuSlots is < 0 or > 1024)
        {
            yield return $"inventory.cpu_slots: must be between 0 and 1024, got {CpuSlots}";
        }

        if (Gpus.Count > 64)
        {
            yield return $"inventory.gpus: at most 64 GPUs, got {Gpus.Count}";
        }

        if (Gpus.Select(g => g.Index).Distinct().Count() != Gpus.Count)
        {
            yield return "inventory.gpus: GPU indexes must be unique";
        }

        foreach (var gpu in Gpus.Where(g => g.Index is < 0 or > 63))
        {
            yield return $"inventory.gpus.index: must be between 0 and 63, got {gpu.Index}";
        }
    }
}
