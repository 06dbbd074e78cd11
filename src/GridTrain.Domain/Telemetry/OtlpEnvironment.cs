namespace GridTrain.Domain.Telemetry;

/// <summary>Whether the standard <c>OTEL_EXPORTER_OTLP_*ENDPOINT</c> variables ask for OTLP export.</summary>
public static class OtlpEnvironment
{
    private static readonly string[] EndpointVariables =
    [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ];

    public static bool IsConfigured => EndpointVariables.Any(name => !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(name)));

    /// <summary>The service name, unless <c>OTEL_SERVICE_NAME</c> (read by the SDK) sets one.</summary>
    public static string? ServiceNameDefault(string name) =>
        string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME")) ? name : null;
}
