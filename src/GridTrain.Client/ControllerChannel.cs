using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace GridTrain.Client;

/// <summary>
/// Channels to a controller: TLS that verifies the controller's certificate (against the system's roots or a given
/// CA), an optional client certificate, and a bearer token on every call.
/// </summary>
public static class ControllerChannel
{
    /// <summary>Environment variable with the API token used when none is given.</summary>
    public const string TokenVariable = "GRIDTRAIN_TOKEN";

    /// <summary>The longest a channel waits before it tries to connect again to a controller that refused it: 2 seconds.</summary>
    public static readonly TimeSpan ReconnectBackoffCap = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How often a connection with nothing to read pings the controller: 15 seconds. With <see cref="KeepAlivePingTimeout"/>,
    /// a connection to a controller that stopped answering (paused, partitioned, a half-open TCP connection) fails
    /// UNAVAILABLE within about 25 seconds, open streams included, instead of waiting forever.
    /// </summary>
    public static readonly TimeSpan KeepAlivePingDelay = TimeSpan.FromSeconds(15);

    /// <summary>How long a ping waits for its answer before the connection is given up: 10 seconds.</summary>
    public static readonly TimeSpan KeepAlivePingTimeout = TimeSpan.FromSeconds(10);

    // The handlers this class put into a caller's options, told apart from one the caller set: each channel gets its own.
    private static readonly ConditionalWeakTable<HttpMessageHandler, object> s_ownHandlers = [];

    /// <summary>A channel to <paramref name="controller"/> with the TLS settings of <paramref name="options"/>, and keepalive pings unless the options bring their own handler.</summary>
    public static GrpcChannel Create(Uri controller, GridTrainClientOptions options)
    {
        // A controller restarting, or a standby swapping in as the leader, refuses connections for a moment; the
        // default reconnect backoff (up to 2 minutes) would keep calls failing long after it serves again.
        var channelOptions = options.ChannelOptions ?? new GrpcChannelOptions { MaxReconnectBackoff = ReconnectBackoffCap };
        var callersHandler = channelOptions.HttpClient is not null || (channelOptions.HttpHandler is { } given && !s_ownHandlers.TryGetValue(given, out _));
        if (!callersHandler || options.CaFile is not null || options.ClientCertificateFile is not null)
        {
            var handler = CreateHandler(options.CaFile, options.ClientCertificateFile, options.ClientKeyFile, options.KeepAlivePingDelay, options.KeepAlivePingTimeout);
            s_ownHandlers.AddOrUpdate(handler, controller);
            channelOptions.HttpHandler = handler;
            channelOptions.DisposeHttpClient = true;
        }

        return GrpcChannel.ForAddress(controller, channelOptions);
    }

    /// <summary>
    /// Calls to <paramref name="controller"/> and <see cref="GridTrainClientOptions.OtherControllers"/> that follow the
    /// leading replica and carry <paramref name="token"/> (see <see cref="WithToken"/>).
    /// </summary>
    public static LeaderFollowingInvoker CreateInvoker(Uri controller, GridTrainClientOptions options, Func<string?> token, TimeProvider? time = null) =>
        new([controller, .. options.OtherControllers], address => Create(address, options), channel => WithToken(channel, token), options.FailoverTimeout, time);

    /// <summary>
    /// An HTTP/2 handler that trusts <paramref name="caFile"/> besides the system's roots, presents a client certificate
    /// if given, and pings a quiet connection (every <paramref name="keepAlivePingDelay"/>, default
    /// <see cref="KeepAlivePingDelay"/>), giving it up when a ping goes unanswered for <paramref name="keepAlivePingTimeout"/>.
    /// </summary>
    public static SocketsHttpHandler CreateHandler(string? caFile, string? clientCertificateFile = null, string? clientKeyFile = null, TimeSpan? keepAlivePingDelay = null, TimeSpan? keepAlivePingTimeout = null)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = keepAlivePingDelay ?? KeepAlivePingDelay,
            KeepAlivePingTimeout = keepAlivePingTimeout ?? KeepAlivePingTimeout,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
        };
        if (caFile is not null)
        {
            var ca = X509Certificate2.CreateFromPem(File.ReadAllText(caFile));
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) => Trusted(certificate, errors, ca);
        }

        if (clientCertificateFile is not null)
        {
            handler.SslOptions.ClientCertificates = [X509Certificate2.CreateFromPemFile(clientCertificateFile, clientKeyFile)];
        }

        return handler;
    }

    /// <summary>Adds <c>authorization: Bearer <paramref name="token"/></c> to every call that carries no credential of its own, when a token is given.</summary>
    public static CallInvoker WithToken(ChannelBase channel, Func<string?> token)
    {
        var invoker = channel.CreateCallInvoker();
        return invoker.Intercept(metadata =>
        {
            if (metadata.Get("authorization") is null && token() is { Length: > 0 } current)
            {
                metadata.Add("authorization", "Bearer " + current);
            }

            return metadata;
        });
    }

    /// <summary>The token to use: the given one, else <c>GRIDTRAIN_TOKEN</c>.</summary>
    public static string? ResolveToken(string? token) => token ?? Environment.GetEnvironmentVariable(TokenVariable);

    private static bool Trusted(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2 ca)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        // A private CA can only fix the chain; a name mismatch or a missing certificate stays fatal.
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var presented = new X509Certificate2(certificate);
        return chain.Build(presented);
    }
}
