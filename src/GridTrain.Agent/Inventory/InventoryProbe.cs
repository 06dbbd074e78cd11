using GridTrain.Agent.Hosting;
using GridTrain.Domain.Agents;

namespace GridTrain.Agent.Inventory;

/// <summary>What this machine offers: cores and memory from the runtime, GPUs from the options.</summary>
internal static class InventoryProbe
{
    public static Domain.Agents.Inventory Probe(AgentOptions options) => new(
        Environment.ProcessorCount,
        GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
        options.Gpus ?? Array.Empty<GpuDevice>(),
        options.CpuSlots);
}
