using Grpc.Net.Client;

namespace GridTrain.Client;

/// <summary>How a <see cref="GridTrainClient"/> connects and authenticates.</summary>
public sealed class GridTrainClientOptions
{
    /// <summary>
    /// The API token sent as <c>authorization: Bearer</c> metadata on every call. Null: <c>GRIDTRAIN_TOKEN</c> from the
    /// environment; empty: none.
    /// </summary>
    public string? Token { get; init; }

    /// <summary>PEM file of a CA to trust for the controller's certificate (besides the system's), for a private CA.</summary>
    public string? CaFile { get; init; }

    /// <summary>PEM client certificate to present (mutual TLS); needs <see cref="ClientKeyFile"/>.</summary>
    public string? ClientCertificateFile { get; init; }

    /// <summary>PEM private key of <see cref="ClientCertificateFile"/>.</summary>
    public string? ClientKeyFile { get; init; }

    /// <summary>
    /// Further controller replicas besides the address given: calls move to whichever leads (a standby answers
    /// UNAVAILABLE naming the leader). Default: none.
    /// </summary>
    public IReadOnlyList<Uri> OtherControllers { get; init; } = [];

    /// <summary>How long one call keeps looking for the leading controller (a failover, a restart) before it fails UNAVAILABLE. Default 30 s; zero: no retries.</summary>
    public TimeSpan FailoverTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a quiet connection pings the controller; null: <see cref="ControllerChannel.KeepAlivePingDelay"/> (15 s).</summary>
    public TimeSpan? KeepAlivePingDelay { get; init; }

    /// <summary>How long an unanswered ping waits before the connection fails UNAVAILABLE; null: <see cref="ControllerChannel.KeepAlivePingTimeout"/> (10 s).</summary>
    public TimeSpan? KeepAlivePingTimeout { get; init; }

    /// <summary>
    /// Further channel settings; its <c>HttpHandler</c> is replaced when a CA or client certificate is set. Without a
    /// handler or client of its own, each channel gets one with keepalive pings.
    /// </summary>
    public GrpcChannelOptions? ChannelOptions { get; init; }
}
