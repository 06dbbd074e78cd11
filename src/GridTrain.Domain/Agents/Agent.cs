namespace GridTrain.Domain.Agents;

/// <summary>A registered machine.</summary>
public sealed record Agent
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public required Inventory Inventory { get; init; }

    public AgentState State { get; init; } = AgentState.Ready;

    public string Version { get; init; } = "";

    public required DateTimeOffset RegisteredAt { get; init; }

    public required DateTimeOffset LastHeartbeatAt { get; init; }
}
