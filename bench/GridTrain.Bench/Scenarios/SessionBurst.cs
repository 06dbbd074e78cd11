using System.Collections.Concurrent;
using System.Diagnostics;
using GridTrain.Client;
using GridTrain.Protos.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace GridTrain.Bench.Scenarios;

/// <summary>
/// Users creating one-GPU sessions as fast as the controller lets them: each user token from two callers, each token on
/// its own connection. A call refused by the rate limit is retried after 50 ms and counted.
/// </summary>
internal sealed class SessionBurst(Uri address, IReadOnlyList<string> userTokens) : IDisposable
{
    private const int CallersPerUser = 2;

    private readonly List<GrpcChannel> _channels = [.. userTokens.Select(_ => GrpcChannel.ForAddress(address, new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler { PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan },
    }))];

    /// <summary>Creates up to <paramref name="sessions"/> sessions, stopping early when <paramref name="end"/> is cancelled.</summary>
    public async Task<Result> RunAsync(int sessions, CancellationToken end)
    {
        var created = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var rateLimited = 0;
        var createErrors = 0;
        var next = -1;
        await Task.WhenAll(userTokens.SelectMany((token, u) => Enumerable.Range(0, CallersPerUser).Select(async _ =>
        {
            var client = new SessionService.SessionServiceClient(ControllerChannel.WithToken(_channels[u], () => token));
            while (!end.IsCancellationRequested && Interlocked.Increment(ref next) < sessions)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    var session = await client.CreateSessionAsync(new CreateSessionRequest { Resources = new ResourceRequest { Runtime = Runtime.Gpu, GpuCount = 1 } }, cancellationToken: end);
                    created[session.Id] = started;
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
                {
                    Interlocked.Increment(ref rateLimited);
                    Interlocked.Decrement(ref next);
                    await Task.Delay(TimeSpan.FromMilliseconds(50), CancellationToken.None);
                }
                catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled || !end.IsCancellationRequested)
                {
                    Interlocked.Increment(ref createErrors);
                }
                catch (RpcException) when (end.IsCancellationRequested)
                {
                }
            }
        })));
        return new Result(created, rateLimited, createErrors);
    }

    public void Dispose()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }
    }

    /// <summary>The sessions created (id → <see cref="Stopwatch.GetTimestamp"/> when its call started), and the calls refused or failed.</summary>
    public sealed record Result(ConcurrentDictionary<string, long> Created, int RateLimited, int CreateErrors);
}
