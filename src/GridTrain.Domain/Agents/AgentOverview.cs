using GridTrain.Domain.Agents.Health;

namespace GridTrain.Domain.Agents;

/// <summary>An agent with what it has left, which sessions it holds, and its GPUs' health (as it last reported it).</summary>
public sealed record AgentOverview(Agent Agent, IReadOnlyList<int> FreeGpuIndexes, int FreeCpuSlots, IReadOnlyList<string> SessionIds, DateTimeOffset LastSeen)
{
    /// <summary>Each GPU's health, by index; empty when the agent has not reported it.</summary>
    public IReadOnlyList<GpuHealth> GpuHealth { get; init; } = [];
}
