using GridTrain.Agent.Checkpoints;
using GridTrain.Agent.Connection;
using GridTrain.Agent.Connection.Grpc;
using GridTrain.Agent.Gpu;
using GridTrain.Agent.Inventory;
using GridTrain.Agent.Gpu.Health;
using GridTrain.Agent.Jobs;
using GridTrain.Agent.Jobs.Processes;
using GridTrain.Agent.Leases;
using GridTrain.Agent.Reporting;
using GridTrain.Agent.Threading;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GridTrain.Agent.Hosting;

/// <summary>Wires an agent: the one way a <see cref="GridAgent"/> is built.</summary>
public static class AgentServiceCollectionExtensions
{
    /// <summary>
    /// Adds a <see cref="GridAgent"/>, run for the host's lifetime when there is a host, configured by <paramref name="configure"/>, with its options validated when it is
    /// first resolved (and when a host starts). Its parts are added with <c>TryAdd</c>, so a caller may register its
    /// own first: the clock (<see cref="TimeProvider"/>), the GPUs (<see cref="IGpuMonitor"/>, NVML by default), the
    /// controller link (<see cref="IControllerLink"/>, gRPC by default), the job launcher (<see cref="IJobLauncher"/>).
    /// </summary>
    public static IServiceCollection AddGridTrainAgent(this IServiceCollection services, Action<AgentOptions> configure)
    {
        services.AddLogging();
        services.AddOptions<AgentOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AgentOptions>, AgentOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => GpuMonitors.Open(sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GpuMonitors))));

        // One long-lived client for Drive: its handler recycles pooled connections itself, and the logging of every call is the store's, not the factory's.
        services.AddHttpClient(JobStorage.DriveHttpClient, http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers();
        services.TryAddSingleton(sp => JobStorage.Create(
            sp.GetRequiredService<IOptions<AgentOptions>>().Value,
            sp.GetRequiredService<IHttpClientFactory>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<JobStorage>>()));

        services.TryAddSingleton<IControllerLink, GrpcControllerLink>();
        services.TryAddSingleton<Jobs.Commands.CommandLauncher>();
        services.TryAddSingleton<IJobLauncher, WorkerLauncher>();
        services.TryAddSingleton<TaskGroup>();
        services.TryAddSingleton<HeartbeatTrigger>();
        services.TryAddSingleton<LeaseTable>();
        services.TryAddSingleton<Workspaces.SessionWorkspaces>();
        services.TryAddSingleton<MachineUsage>();
        services.TryAddSingleton(sp =>
        {
            var watch = new GpuHealthWatch(sp.GetRequiredService<IGpuMonitor>(), sp.GetRequiredService<IOptions<AgentOptions>>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<GpuHealthWatch>>());
            watch.Changed += sp.GetRequiredService<HeartbeatTrigger>().Pull;
            return watch;
        });
        services.TryAddSingleton<UnreportedStore>();
        services.TryAddSingleton<ResultReporter>();
        services.TryAddSingleton<CheckpointPublisher>();
        services.TryAddSingleton<AttemptReporter>();
        services.TryAddSingleton<JobRunner>();
        services.TryAddSingleton<Connection.Tunnels.TunnelDispatcher>();
        services.TryAddSingleton<AgentConnection>();
        services.TryAddSingleton(sp => new GridAgent(
            sp.GetRequiredService<IOptions<AgentOptions>>(),
            sp.GetRequiredService<AgentConnection>(),
            sp.GetRequiredService<LeaseTable>(),
            sp.GetRequiredService<GpuHealthWatch>(),
            sp.GetRequiredService<JobRunner>(),
            sp.GetRequiredService<Connection.Tunnels.TunnelDispatcher>(),
            sp.GetRequiredService<CheckpointPublisher>(),
            sp.GetRequiredService<TaskGroup>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<GridAgent>>()));
        services.AddHostedService<AgentHostedService>();
        return services;
    }

    /// <summary>
    /// The agent of <paramref name="services"/>, its options checked first.
    /// </summary>
    /// <exception cref="OptionsValidationException">The options are unusable; <c>Failures</c> lists every problem.</exception>
    /// <exception cref="InvalidOperationException">The Drive credentials cannot be used.</exception>
    public static GridAgent GetGridAgent(this IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<AgentOptions>>();
        return options.Value is not null ? services.GetRequiredService<GridAgent>() : throw new InvalidOperationException("no agent options");
    }
}
