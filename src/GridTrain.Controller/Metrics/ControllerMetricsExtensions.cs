using System.Diagnostics.Metrics;
using GridTrain.Domain.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace GridTrain.Controller.Metrics;

/// <summary>Wires the controller's metrics, HTTP health and optional OTLP export.</summary>
public static class ControllerMetricsExtensions
{
    /// <summary>Path Prometheus scrapes.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>Liveness: the process serves HTTP.</summary>
    public const string LivenessPath = "/livez";

    /// <summary>Readiness: the controller can read its state.</summary>
    public const string ReadinessPath = "/readyz";

    /// <summary>
    /// Adds the grid's instruments, the state gauges and their refresher, and an OpenTelemetry meter provider with the
    /// Prometheus exporter; with <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or a per-signal endpoint) set, also OTLP export of
    /// metrics and traces, configured by the standard <c>OTEL_*</c> variables.
    /// </summary>
    public static IServiceCollection AddGridTrainControllerMetrics(this IServiceCollection services)
    {
        services.AddMetrics();
        services.TryAddSingleton(new ControllerMetricsOptions());
        services.TryAddSingleton(sp => new GridInstruments(sp.GetRequiredService<IMeterFactory>()));
        services.TryAddSingleton<GridStateGauges>();
        services.TryAddSingleton<RpcMetricsInterceptor>();
        services.AddHostedService<GridSnapshotRefresher>();

        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                if (OtlpEnvironment.ServiceNameDefault("gridtrain-controller") is { } name)
                {
                    resource.AddService(name, serviceVersion: typeof(ControllerMetricsExtensions).Assembly.GetName().Version?.ToString());
                }
            })
            .WithMetrics(metrics => metrics
                .AddMeter(GridInstruments.MeterName, GridStateGauges.MeterName, GridStateGauges.MeterName + ".Rpc")
                .AddPrometheusExporter());
        services.ConfigureOpenTelemetryMeterProvider((sp, metrics) =>
        {
            var factory = sp.GetRequiredService<IMeterFactory>();
            var options = sp.GetRequiredService<ControllerMetricsOptions>();
            metrics.AddView(instrument => View(instrument, factory, options));
        });
        if (OtlpEnvironment.IsConfigured)
        {
            telemetry
                .WithTracing(tracing => tracing.AddSource("Microsoft.AspNetCore", "System.Net.Http"))
                .UseOtlpExporter();
        }

        return services;
    }

    /// <summary>
    /// Exports only this host's instruments: a meter provider subscribes to meters by name, and another host in the same
    /// process (an embedded grid, a test) has meters of the same names. The gauges with a series per session or agent
    /// get room for them (the exporter reserves that room up front, so the others keep the default).
    /// </summary>
    private static MetricStreamConfiguration? View(Instrument instrument, IMeterFactory factory, ControllerMetricsOptions options) =>
        !ReferenceEquals(instrument.Meter.Scope, factory) ? MetricStreamConfiguration.Drop
        : GridStateGauges.HasSeriesPerEntity(instrument) ? new MetricStreamConfiguration { CardinalityLimit = options.SessionSeriesLimit }
        : null;

    /// <summary>Maps <c>/metrics</c> (Prometheus text format), <c>/livez</c> and <c>/readyz</c>.</summary>
    public static IEndpointRouteBuilder MapGridTrainControllerMetrics(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPrometheusScrapingEndpoint(MetricsPath);
        endpoints.MapHealthChecks(LivenessPath, new HealthCheckOptions { Predicate = _ => false });
        endpoints.MapHealthChecks(ReadinessPath);
        return endpoints;
    }
}
