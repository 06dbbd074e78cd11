namespace GridTrain.Controller.Metrics;

/// <summary>How the controller's metrics are gathered.</summary>
public sealed class ControllerMetricsOptions
{
    /// <summary>How often the grid's state is read for the state gauges (sessions, agents, queue, per-session series). Default 5 seconds.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(5);
}
