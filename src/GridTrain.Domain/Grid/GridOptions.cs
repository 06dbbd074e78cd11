namespace GridTrain.Domain.Grid;

/// <summary>Timing and retry rules of the controller.</summary>
public sealed class GridOptions
{
    /// <summary>How often agents heartbeat. Default 2 seconds.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Silence after which an agent is lost and its sessions rescheduled. Default 10 seconds.</summary>
    public TimeSpan AgentTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts a job gets when infrastructure fails under it (agent lost, process killed). Default 3.</summary>
    public int MaxJobAttempts { get; set; } = 3;

    /// <summary>Problems with the options, each with a hint.</summary>
    public IEnumerable<string> Validate()
    {
        if (HeartbeatInterval <= TimeSpan.Zero)
        {
            yield return $"HeartbeatInterval must be positive, got {HeartbeatInterval}";
        }

        if (AgentTimeout <= HeartbeatInterval)
        {
            yield return $"AgentTimeout ({AgentTimeout}) must be longer than HeartbeatInterval ({HeartbeatInterval}); use at least three intervals";
        }

        if (MaxJobAttempts < 1)
        {
            yield return $"MaxJobAttempts must be at least 1, got {MaxJobAttempts}";
        }
    }
}
