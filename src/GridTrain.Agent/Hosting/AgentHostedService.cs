using Microsoft.Extensions.Hosting;

namespace GridTrain.Agent.Hosting;

/// <summary>Runs the <see cref="GridAgent"/> for the host's lifetime.</summary>
internal sealed class AgentHostedService(GridAgent agent) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => agent.RunAsync(stoppingToken);
}
