using GridTrain.Agent.Gpu;
using GridTrain.Agent.Hosting;

namespace GridTrain.Agent.Inventory;

/// <summary>What this machine offers: cores and memory from the runtime, GPUs from NVML unless the options list them.</summary>
internal static class InventoryProbe
{
    public static Domain.Agents.Inventory Probe(AgentOptions options, IGpuMonitor gpus) => new(
        Environment.ProcessorCount,
        GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
        options.Gpus ?? gpus.Devices,
        options.CpuSlots);
}
