namespace GridTrain.Domain.Agents;

/// <summary>An agent's latest report of its machine's use, and when the controller received it.</summary>
public sealed record AgentReading(AgentResources Resources, DateTimeOffset ReadAt);
