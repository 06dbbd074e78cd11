using Grpc.AspNetCore.Server;
using GridTrain.Controller.Grpc;
using GridTrain.Controller.Hosting.Web;
using GridTrain.Controller.Metrics;
using GridTrain.Controller.Security;
using GridTrain.Controller.Storage;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.Domain.Storage;
using GridTrain.Domain.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
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
        services.TryAddSingleton<CallAuthenticator>();
        // Rate limits count real seconds even where a test drives the grid's clock.
        services.TryAddSingleton(sp => new CallRateLimiter(sp.GetRequiredService<ControllerSecurityOptions>(), TimeProvider.System));
        services.TryAddSingleton<ResourceAccess>();
        services.TryAddSingleton<Grpc.Tunnels.TunnelBroker>();
        services.TryAddSingleton<Grpc.Tunnels.SessionTunnels>();
        services.TryAddSingleton<SignInLinks>();
        services.AddGridTrainControllerMetrics();

        services.AddGrpc(grpc =>
        {
            // Outermost first: metrics count every call with its final status, refused ones included, and errors of
            // the authentication step are translated too.
            grpc.Interceptors.Add<RpcMetricsInterceptor>();
            grpc.Interceptors.Add<GridErrorInterceptor>();
            grpc.Interceptors.Add<AuthInterceptor>();
            grpc.EnableDetailedErrors = false;
        }).AddJsonTranscoding(json =>
        {
            // Proto3 JSON's canonical form: fields at their default value are left out (a 1,000-session list is half the size).
            json.JsonSettings.IgnoreDefaultValues = true;
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

    /// <summary>
    /// Maps the controller's gRPC services (and their HTTP/JSON transcoding), health and reflection, <c>/metrics</c>,
    /// <c>/livez</c> and <c>/readyz</c>, and the API's OpenAPI document at <c>/openapi/v1.json</c>.
    /// </summary>
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
        // The API's schema is public (like reflection): it is in the repository.
        endpoints.MapGet("/openapi/v1.json", () => Results.Text(OpenApiDocument.Json, "application/json"));
        endpoints.MapPost("/console/sign-in", (SignInRequest request, SignInLinks links, HttpContext http) =>
        {
            http.Response.Headers.CacheControl = "no-store";
            return links.Redeem(request.Code ?? "") is { } token
                ? Results.Json(new SignInResponse(token))
                : Results.Json(new SignInError("this sign-in link was already used or has expired; sign in with a token"), statusCode: StatusCodes.Status401Unauthorized);
        });
        return endpoints;
    }
}
