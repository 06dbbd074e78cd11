namespace GridTrain.Domain.Agents;

/// <summary>An agent with what it has left and which sessions it holds.</summary>
public sealed record AgentOverview(Agent Agent, IReadOnlyList<int> FreeGpuIndexes, int FreeCpuSlots, IReadOnlyList<string> SessionIds, DateTimeOffset LastSeen);
