using GridTrain.Domain.Agents;

namespace GridTrain.Domain.Scheduling;

/// <summary>What an agent has left: GPUs not leased and CPU session slots not used.</summary>
public sealed record AgentCapacity(string AgentId, IReadOnlyList<GpuDevice> FreeGpus, int FreeCpuSlots, int TotalGpus);
