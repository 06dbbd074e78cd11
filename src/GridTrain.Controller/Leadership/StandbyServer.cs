using System.Net;
using GridTrain.Controller.Metrics;
using GridTrain.Controller.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GridTrain.Controller.Leadership;

/// <summary>
/// What a replica serves while another leads: on the gRPC port every call ends UNAVAILABLE naming the leader (in the
/// message and the <see cref="LeaderMetadataKey"/> trailer); on the web port every request gets 503 naming it; on the
/// metrics port <c>/livez</c> is healthy and <c>/readyz</c> is not, so a Kubernetes Service routes only to the leader.
/// No state is loaded and nothing is scheduled.
/// </summary>
public sealed class StandbyServer : IAsyncDisposable
{
    /// <summary>The response metadata entry (a trailer; a header on HTTP) with the leader's gRPC address, when known.</summary>
    public const string LeaderMetadataKey = "gridtrain-leader";

    private readonly WebApplication _app;

    private StandbyServer(WebApplication app) => _app = app;

    /// <summary>The bound endpoints, in the order given (port 0 resolved); known once started.</summary>
    public IReadOnlyList<IPEndPoint> Endpoints { get; private set; } = [];

    /// <summary>The leader's gRPC address as last read from the lease; null while unknown.</summary>
    public string? Leader { get; set; }

    /// <summary>Binds <paramref name="listen"/> (gRPC), and <paramref name="metricsListen"/> and <paramref name="webListen"/> when given.</summary>
    public static async Task<StandbyServer> StartAsync(IPEndPoint listen, IPEndPoint? metricsListen, IPEndPoint? webListen, ControllerSecurityOptions security, Action<ILoggingBuilder>? configureLogging, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "GridTrain.Controller.Standby" });
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(listen, endpoint =>
            {
                endpoint.Protocols = HttpProtocols.Http2;
                if (security.UsesTls)
                {
                    endpoint.UseHttps(TlsSetup.ServerOptions(security));
                }
            });
            if (metricsListen is not null)
            {
                kestrel.Listen(metricsListen, endpoint => endpoint.Protocols = HttpProtocols.Http1);
            }

            if (webListen is not null)
            {
                kestrel.Listen(webListen, endpoint =>
                {
                    endpoint.Protocols = security.UsesTls ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http1;
                    if (security.UsesTls)
                    {
                        endpoint.UseHttps(TlsSetup.ServerOptions(security));
                    }
                });
            }
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        configureLogging?.Invoke(builder.Logging);
        var app = builder.Build();
        var standby = new StandbyServer(app);
        app.Run(standby.AnswerAsync);
        await app.StartAsync(cancellationToken);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        standby.Endpoints = [.. addresses.Select(a => new Uri(a)).Select(u => new IPEndPoint(IPAddress.Parse(u.Host.Trim('[', ']')), u.Port))];
        return standby;
    }

    /// <summary>Stops serving and frees the ports (for the full controller to bind).</summary>
    public Task StopAsync(CancellationToken cancellationToken) => _app.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private Task AnswerAsync(HttpContext context)
    {
        var leader = Leader;
        var message = leader is { Length: > 0 }
            ? $"this controller is a standby replica; the leader is at {leader}"
            : "this controller is a standby replica and no leader is known yet; retry shortly";
        var response = context.Response;
        if (leader is { Length: > 0 })
        {
            response.Headers[LeaderMetadataKey] = leader;
        }

        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
        {
            // A trailers-only gRPC response: HTTP 200 whose headers carry the status.
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/grpc";
            response.Headers["grpc-status"] = "14";
            response.Headers["grpc-message"] = Uri.EscapeDataString(message);
            return Task.CompletedTask;
        }

        if (context.Request.Path == ControllerMetricsExtensions.LivenessPath)
        {
            return response.WriteAsync("Healthy", context.RequestAborted);
        }

        response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        response.Headers.RetryAfter = "1";
        return response.WriteAsJsonAsync(new Hosting.Web.JsonRequestError(14, message, []), context.RequestAborted);
    }
}
