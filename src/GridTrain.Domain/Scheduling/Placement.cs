namespace GridTrain.Domain.Scheduling;

/// <summary>A scheduling decision: put the session on the agent, with these GPUs.</summary>
public sealed record Placement(string SessionId, string AgentId, IReadOnlyList<int> GpuIndexes);
