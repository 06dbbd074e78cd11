using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GridTrain.Controller.Metrics;

/// <summary>Reads the grid's state for the gauges every <see cref="ControllerMetricsOptions.RefreshInterval"/>.</summary>
internal sealed partial class GridSnapshotRefresher(
    GridCoordinator coordinator,
    GridStateGauges gauges,
    ControllerMetricsOptions options,
    TimeProvider time,
    ILogger<GridSnapshotRefresher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await RefreshAsync(stoppingToken);
            try
            {
                await Task.Delay(options.RefreshInterval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>Takes one snapshot; on failure the gauges keep the previous one (its age shows in <c>gridtrain_grid_snapshot_age_seconds</c>).</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        try
        {
            gauges.Update(await coordinator.SnapshotAsync(cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // Metrics must never take the controller down: a failed read (the store timing out, say) keeps the old snapshot.
            LogRefreshFailed(logger, ex);
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Could not read the grid's state for metrics; the gauges keep the previous state", EventName = "MetricsRefreshFailed")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);
}
