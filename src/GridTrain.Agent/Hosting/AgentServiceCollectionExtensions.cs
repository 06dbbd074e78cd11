using GridTrain.Agent.Connection;
using GridTrain.Agent.Gpu;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GridTrain.Agent.Hosting;

/// <summary>Wires an agent into a host.</summary>
public static class AgentServiceCollectionExtensions
{
    /// <summary>Adds an agent that joins the controller in <paramref name="options"/> when the host starts, with its GPUs from NVML unless an <see cref="IGpuMonitor"/> is registered.</summary>
    public static IServiceCollection AddGridTrainAgent(this IServiceCollection services, AgentOptions options)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(options);
        services.TryAddSingleton(sp => GpuMonitors.Open(sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GpuMonitors))));
        services.TryAddSingleton(sp => new GridAgent(
            sp.GetRequiredService<AgentOptions>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<GridAgent>>(),
            sp.GetRequiredService<IGpuMonitor>()));
        services.AddHostedService<AgentHostedService>();
        return services;
    }
}

/// <summary>Runs the <see cref="GridAgent"/> for the host's lifetime.</summary>
internal sealed class AgentHostedService(GridAgent agent) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => agent.RunAsync(stoppingToken);
}
