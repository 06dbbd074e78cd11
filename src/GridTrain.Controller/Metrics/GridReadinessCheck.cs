using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GridTrain.Controller.Metrics;

/// <summary>Ready when the grid's state can be read: the store answers within the probe's time.</summary>
internal sealed class GridReadinessCheck(GridCoordinator coordinator) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await coordinator.ListAgentsAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("the controller cannot read its state", ex);
        }
    }
}
