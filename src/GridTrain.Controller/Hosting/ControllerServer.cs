using System.Net;
using GridTrain.Controller.Storage;
using GridTrain.Controller.Storage.Sql;
using GridTrain.Domain.Grid;
using GridTrain.Domain.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GridTrain.Controller.Hosting;

/// <summary>
/// A controller on Kestrel (gRPC over HTTP/2 without TLS), for <c>gridtrain controller run</c>, the demo and tests;
/// optionally with a second, HTTP/1.1 port for Prometheus (<c>/metrics</c>) and Kubernetes probes (<c>/livez</c>, <c>/readyz</c>).
/// </summary>
public sealed class ControllerServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _hasMetricsPort;

    private ControllerServer(WebApplication app) => _app = app;

    /// <summary>The address clients and agents dial, e.g. <c>http://127.0.0.1:5000</c>; known once started.</summary>
    public Uri Address { get; private set; } = new("http://127.0.0.1");

    /// <summary>The HTTP/1.1 address of <c>/metrics</c>, <c>/livez</c> and <c>/readyz</c>; null without a metrics port. Known once started.</summary>
    public Uri? MetricsAddress { get; private set; }

    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// Builds a controller listening on <paramref name="listen"/> (port 0 picks a free port) over the store
    /// <paramref name="storage"/> names, opening it (and creating its tables) first.
    /// </summary>
    public static Task<ControllerServer> CreateAsync(
        IPEndPoint listen,
        ControllerStorageOptions storage,
        GridOptions? options = null,
        Action<ILoggingBuilder>? configureLogging = null,
        CancellationToken cancellationToken = default) =>
        CreateAsync(listen, null, storage, options, configureLogging, cancellationToken);

    /// <summary>
    /// Builds a controller serving gRPC on <paramref name="listen"/> and, unless null, metrics and HTTP health on
    /// <paramref name="metricsListen"/> (port 0 picks a free port), over the store <paramref name="storage"/> names.
    /// </summary>
    public static async Task<ControllerServer> CreateAsync(
        IPEndPoint listen,
        IPEndPoint? metricsListen,
        ControllerStorageOptions storage,
        GridOptions? options = null,
        Action<ILoggingBuilder>? configureLogging = null,
        CancellationToken cancellationToken = default)
    {
        IGridStore? store = storage switch
        {
            { PostgresConnectionString: { } connectionString } => await PostgresGridStore.OpenAsync(connectionString, cancellationToken),
            { SqlitePath: { } path } => await SqliteGridStore.OpenAsync(path, cancellationToken),
            _ => null,
        };
        return Create(
            listen,
            options,
            services =>
            {
                if (store is not null)
                {
                    services.AddSingleton<IGridStore>(new CachedGridStore(store));
                }
            },
            configureLogging,
            metricsListen);
    }

    /// <summary>
    /// Builds a controller listening on <paramref name="listen"/> (port 0 picks a free port), in memory unless
    /// <paramref name="configureServices"/> registers an <see cref="IGridStore"/> (or replaces other parts, such as the clock).
    /// With <paramref name="metricsListen"/>, metrics and HTTP health are also served over HTTP/1.1 there.
    /// </summary>
    public static ControllerServer Create(IPEndPoint listen, GridOptions? options = null, Action<IServiceCollection>? configureServices = null, Action<ILoggingBuilder>? configureLogging = null, IPEndPoint? metricsListen = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "GridTrain.Controller" });
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(listen, endpoint => endpoint.Protocols = HttpProtocols.Http2);
            if (metricsListen is not null)
            {
                kestrel.Listen(metricsListen, endpoint => endpoint.Protocols = HttpProtocols.Http1);
            }
            kestrel.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(20);
        });
        // Per-request logs of a control plane that serves thousands of heartbeats a second drown everything else.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);
        configureLogging?.Invoke(builder.Logging);
        configureServices?.Invoke(builder.Services);
        builder.Services.AddGridTrainController(options);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(5));

        var app = builder.Build();
        app.MapGridTrainController();
        return new ControllerServer(app) { _hasMetricsPort = metricsListen is not null };
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _app.StartAsync(cancellationToken);
        // Kestrel lists bound addresses in the order the endpoints were configured: gRPC first, then metrics.
        var addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.ToList();
        Address = Dialable(addresses[0]);
        MetricsAddress = _hasMetricsPort ? Dialable(addresses[1]) : null;
    }

    public Task StopAsync(CancellationToken cancellationToken) => _app.StopAsync(cancellationToken);

    private static Uri Dialable(string address) => new(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
