using Grpc.AspNetCore.Server;
using GridTrain.Controller.Grpc;
using GridTrain.Controller.Metrics;
using GridTrain.Controller.Security;
using GridTrain.Controller.Storage;
using GridTrain.Domain.Grid;
using GridTrain.Domain.Storage;
using GridTrain.Domain.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace GridTrain.Controller.Hosting;

/// <summary>Wires the controller into a host.</summary>
public static class ControllerServiceCollectionExtensions
{
    /// <summary>
    /// Adds the controller: coordinator, gRPC services, health and reflection, metrics, and the liveness sweeper.
    /// Parts registered before this call (a store, a <see cref="TimeProvider"/>, grid options, <see cref="ControllerSecurityOptions"/>)
    /// are kept; without security options, the admin and join tokens come from the environment.
    /// </summary>
    public static IServiceCollection AddGridTrainController(this IServiceCollection services, GridOptions? options = null)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IIdGenerator, RandomIdGenerator>();
        services.TryAddSingleton<IGridStore, InMemoryGridStore>();
        services.TryAddSingleton(options ?? new GridOptions());
        services.TryAddSingleton(sp => new GridCoordinator(
            sp.GetRequiredService<IGridStore>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IIdGenerator>(),
            sp.GetRequiredService<GridOptions>(),
            sp.GetRequiredService<ILogger<GridCoordinator>>(),
            sp.GetRequiredService<GridInstruments>()));
        services.AddHostedService<LivenessSweeper>();
        services.TryAddSingleton(_ => ControllerSecurityOptions.FromEnvironment());
        services.TryAddSingleton<TokenRegistry>();
        services.TryAddSingleton<CallRateLimiter>();
        services.TryAddSingleton<ResourceAccess>();
        services.AddGridTrainControllerMetrics();

        services.AddGrpc(grpc =>
        {
            // Outermost first: metrics count every call with its final status, refused ones included, and errors of
            // the authentication step are translated too.
            grpc.Interceptors.Add<RpcMetricsInterceptor>();
            grpc.Interceptors.Add<GridErrorInterceptor>();
            grpc.Interceptors.Add<AuthInterceptor>();
            grpc.EnableDetailedErrors = false;
        });
        services.AddOptions<GrpcServiceOptions>().Configure<ControllerSecurityOptions>((grpc, security) =>
        {
            grpc.MaxReceiveMessageSize = security.MaxReceiveMessageBytes;
            grpc.MaxSendMessageSize = 16 * 1024 * 1024;
        });
        services.AddGrpcReflection();
        services.AddGrpcHealthChecks().AddCheck<GridReadinessCheck>("grid");
        return services;
    }

    /// <summary>Maps the controller's gRPC services, health and reflection, and <c>/metrics</c>, <c>/livez</c> and <c>/readyz</c>.</summary>
    public static IEndpointRouteBuilder MapGridTrainController(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcService<SessionGrpcService>();
        endpoints.MapGrpcService<JobGrpcService>();
        endpoints.MapGrpcService<AgentGrpcService>();
        endpoints.MapGrpcService<FleetGrpcService>();
        endpoints.MapGrpcService<TokenGrpcService>();
        endpoints.MapGrpcHealthChecksService();
        endpoints.MapGrpcReflectionService();
        endpoints.MapGridTrainControllerMetrics();
        return endpoints;
    }
}
