using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GridTrain.Agent.Metrics;

/// <summary>Ready while the agent is registered with the controller and connected.</summary>
internal sealed class AgentConnectedCheck(GridAgent agent) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(agent.IsConnected
            ? HealthCheckResult.Healthy($"registered as {agent.AgentId}")
            : HealthCheckResult.Unhealthy("not connected to the controller"));
}
