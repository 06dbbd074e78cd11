namespace GridTrain.Domain.Agents;

/// <summary>A registered machine.</summary>
public sealed record Agent
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public required Inventory Inventory { get; init; }

    public AgentState State { get; init; } = AgentState.Ready;

    public string Version { get; init; } = "";

    /// <summary>Takes no new sessions (an operator cordoned or is draining it).</summary>
    public bool Cordoned { get; init; }

    /// <summary>While draining: when its sessions are moved even without their jobs' checkpoints.</summary>
    public DateTimeOffset? DrainDeadline { get; init; }

    /// <summary>The run of the agent process that registered last (new at each agent start; empty when it sent none).</summary>
    public string Instance { get; init; } = "";

    public required DateTimeOffset RegisteredAt { get; init; }

    public required DateTimeOffset LastHeartbeatAt { get; init; }
}
