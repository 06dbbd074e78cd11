namespace GridTrain.Controller.Metrics;

/// <summary>How the controller's metrics are gathered.</summary>
public sealed class ControllerMetricsOptions
{
    /// <summary>How often the grid's state is read for the state gauges (sessions, agents, queue, per-session series). Default 5 seconds.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Series each per-session or per-agent gauge may export (the exporter's cardinality limit for them): 20,000 by
    /// default, room for 10,000 live sessions. Ended sessions' series are dropped each time half of it has been seen.
    /// </summary>
    public int SessionSeriesLimit { get; set; } = 20_000;
}
