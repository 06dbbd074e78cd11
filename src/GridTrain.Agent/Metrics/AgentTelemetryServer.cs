using System.Diagnostics.Metrics;
using System.Net;
using GridTrain.Agent.Gpu;
using GridTrain.Domain.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace GridTrain.Agent.Metrics;

/// <summary>
/// The agent's HTTP/1.1 endpoint: <c>/metrics</c> (Prometheus text format), <c>/livez</c> and <c>/readyz</c> (ready
/// while connected to the controller). Unauthenticated by design: it serves only metrics and health. With
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or a per-signal endpoint) set, metrics and traces also go out over OTLP.
/// </summary>
public sealed class AgentTelemetryServer : IAsyncDisposable
{
    /// <summary>Path Prometheus scrapes.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>Liveness: the process serves HTTP.</summary>
    public const string LivenessPath = "/livez";

    /// <summary>Readiness: the agent is connected to its controller.</summary>
    public const string ReadinessPath = "/readyz";

    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(5);

    private readonly WebApplication _app;

    private AgentTelemetryServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>The address served, e.g. <c>http://127.0.0.1:9464</c>.</summary>
    public Uri Address { get; }

    /// <summary>Starts serving on <paramref name="listen"/> (port 0 picks a free port).</summary>
    public static async Task<AgentTelemetryServer> StartAsync(
        IPEndPoint listen,
        GridAgent agent,
        IGpuMonitor gpus,
        TimeProvider time,
        Action<ILoggingBuilder>? configureLogging,
        CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "GridTrain.Agent" });
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(listen, endpoint => endpoint.Protocols = HttpProtocols.Http1));
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        configureLogging?.Invoke(builder.Logging);
        builder.Services.AddSingleton(agent);
        builder.Services.AddSingleton(gpus);
        builder.Services.AddSingleton(time);
        builder.Services.AddSingleton<GpuSampler>();
        builder.Services.AddSingleton<AgentMetrics>();
        builder.Services.AddHealthChecks().AddCheck<AgentConnectedCheck>("controller");
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                if (OtlpEnvironment.ServiceNameDefault("gridtrain-agent") is { } name)
                {
                    resource.AddService(name, serviceVersion: typeof(AgentTelemetryServer).Assembly.GetName().Version?.ToString());
                }
            })
            .WithMetrics(metrics => metrics.AddMeter(AgentMetrics.MeterName).AddPrometheusExporter());

        // Only this agent's instruments: another host in the process (an embedded grid, a test) has a meter of the same name.
        builder.Services.ConfigureOpenTelemetryMeterProvider((sp, metrics) =>
        {
            var factory = sp.GetRequiredService<IMeterFactory>();
            metrics.AddView(instrument => ReferenceEquals(instrument.Meter.Scope, factory) ? null : MetricStreamConfiguration.Drop);
        });
        if (OtlpEnvironment.IsConfigured)
        {
            telemetry
                .WithTracing(tracing => tracing.AddSource("System.Net.Http"))
                .UseOtlpExporter();
        }

        var app = builder.Build();
        app.MapPrometheusScrapingEndpoint(MetricsPath);
        app.MapHealthChecks(LivenessPath, new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks(ReadinessPath);

        // The instruments exist once created; the exporter reads them on every scrape.
        app.Services.GetRequiredService<AgentMetrics>();
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new AgentTelemetryServer(app, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)));
    }

    public async ValueTask DisposeAsync()
    {
        // Open scrapes get a moment to finish; the server does not outlive its agent by more.
        using var grace = new CancellationTokenSource(s_stopTimeout);
        await _app.StopAsync(grace.Token);
        await _app.DisposeAsync();
    }
}
