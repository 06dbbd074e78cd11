using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GridTrain.IntegrationTests.Infrastructure;

/// <summary>
/// The receiving end of OTLP over HTTP (<c>http/protobuf</c>): accepts <c>POST /v1/metrics</c> and <c>/v1/traces</c> with
/// an <c>application/x-protobuf</c> body and answers 200 with an empty export response, as a collector does; every
/// request is kept for the test to read.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<OtlpRequest> _requests;

    private OtlpReceiver(WebApplication app, Channel<OtlpRequest> requests, Uri address)
    {
        _app = app;
        _requests = requests;
        Address = address;
    }

    /// <summary>The endpoint to put in <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.</summary>
    public Uri Address { get; }

    public static async Task<OtlpReceiver> StartAsync()
    {
        var requests = Channel.CreateUnbounded<OtlpRequest>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        foreach (var signal in new[] { "metrics", "traces" })
        {
            app.MapPost($"/v1/{signal}", async (HttpContext context) =>
            {
                if (context.Request.ContentType != "application/x-protobuf")
                {
                    return Results.StatusCode(StatusCodes.Status415UnsupportedMediaType);
                }

                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body, context.RequestAborted);
                requests.Writer.TryWrite(new OtlpRequest(signal, body.ToArray()));
                return Results.Bytes([], "application/x-protobuf");
            });
        }

        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new OtlpReceiver(app, requests, new Uri(address));
    }

    /// <summary>Waits for a request of <paramref name="signal"/> whose body satisfies <paramref name="match"/>.</summary>
    public async Task<OtlpRequest> WaitForAsync(string signal, Func<byte[], bool> match, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await foreach (var request in _requests.Reader.ReadAllAsync(cts.Token))
            {
                if (request.Signal == signal && match(request.Body))
                {
                    return request;
                }
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
        }

        throw new TimeoutException($"no matching OTLP {signal} export within {timeout}");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>One export: the signal (<c>metrics</c> or <c>traces</c>) and its protobuf body.</summary>
public sealed record OtlpRequest(string Signal, byte[] Body);
