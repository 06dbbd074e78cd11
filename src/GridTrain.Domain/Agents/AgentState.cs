namespace GridTrain.Domain.Agents;

public enum AgentState
{
    /// <summary>Heartbeating; accepts sessions.</summary>
    Ready = 1,

    /// <summary>Silent for longer than the agent timeout.</summary>
    Lost = 2,
}
