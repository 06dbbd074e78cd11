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
        var createdBy = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var rateLimited = 0;
        var createErrors = 0;
        var next = -1;
        await Task.WhenAll(userTokens.SelectMany((token, u) => Enumerable.Range(0, CallersPerUser).Select(async _ =>
        {
            var client = new SessionService.SessionServiceClient(ControllerChannel.WithToken(_channels[u], () => token));
            // Each caller claims a session to create and tries until it is created, fails, or the time is up.
            while (!end.IsCancellationRequested && Interlocked.Increment(ref next) < sessions)
            {
                var started = Stopwatch.GetTimestamp();
                while (!end.IsCancellationRequested)
                {
                    try
                    {
                        var session = await client.CreateSessionAsync(new CreateSessionRequest { Resources = new ResourceRequest { Runtime = Runtime.Gpu, GpuCount = 1 } }, cancellationToken: end);
                        created[session.Id] = started;
                        createdBy[session.Id] = u;
                        break;
                    }
                    catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
                    {
                        Interlocked.Increment(ref rateLimited);
                        try
                        {
                            await Task.Delay(TimeSpan.FromMilliseconds(50), end);
                        }
                        catch (OperationCanceledException) when (end.IsCancellationRequested)
                        {
                        }
                    }
                    catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled || !end.IsCancellationRequested)
                    {
                        Interlocked.Increment(ref createErrors);
                        break;
                    }
                    catch (RpcException) when (end.IsCancellationRequested)
                    {
                    }
                }
            }
        })));
        return new Result(created, createdBy, rateLimited, createErrors);
    }

    /// <summary>Each user terminates the sessions it created in <paramref name="burst"/>, from two callers, retrying calls refused by the rate limit.</summary>
    public async Task TerminateAsync(Result burst, CancellationToken cancellationToken)
    {
        await Task.WhenAll(burst.CreatedBy.GroupBy(c => c.Value, c => c.Key).SelectMany(mine =>
        {
            var client = new SessionService.SessionServiceClient(ControllerChannel.WithToken(_channels[mine.Key], () => userTokens[mine.Key]));
            var queue = new ConcurrentQueue<string>(mine);
            return Enumerable.Range(0, CallersPerUser).Select(async _ =>
            {
                while (queue.TryDequeue(out var sessionId))
                {
                    while (true)
                    {
                        try
                        {
                            await client.TerminateSessionAsync(new TerminateSessionRequest { SessionId = sessionId }, cancellationToken: cancellationToken);
                            break;
                        }
                        catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
                        {
                            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
                        }
                    }
                }
            });
        }));
    }

    public void Dispose()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }
    }

    /// <summary>
    /// The sessions created (id → <see cref="Stopwatch.GetTimestamp"/> when its call started; id → the user who created
    /// it), and the calls refused or failed.
    /// </summary>
    public sealed record Result(ConcurrentDictionary<string, long> Created, ConcurrentDictionary<string, int> CreatedBy, int RateLimited, int CreateErrors);
}
