using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client;

namespace GridTrain.Bench.Scenarios.Chaos;

/// <summary>
/// The soak's own client of the two controller replicas, called directly (not through the agents' proxies): a call
/// goes to the replica that answered last, and on UNAVAILABLE or a missed deadline moves to the other one until
/// one answers. It does not follow the leader named by a standby (that names the agents' proxy). Every status a
/// controller answered is counted, so the checker can look for INTERNAL and UNKNOWN.
/// </summary>
internal sealed class GridCaller : IDisposable
{
    private static readonly TimeSpan s_callDeadline = TimeSpan.FromSeconds(10);
    private readonly GrpcChannel[] _channels;
    private readonly ConcurrentDictionary<StatusCode, int> _statuses = new();
    private readonly ConcurrentQueue<string> _unexpected = new();
    private int _current;

    public GridCaller(IReadOnlyList<Uri> controllers)
    {
        _channels = [.. controllers.Select(c => GrpcChannel.ForAddress(c))];
    }

    /// <summary>How many answers of each status code (OK included) the controllers gave.</summary>
    public IReadOnlyDictionary<StatusCode, int> Statuses => _statuses;

    /// <summary>INTERNAL and UNKNOWN answers, with the call and the message.</summary>
    public IReadOnlyCollection<string> Unexpected => _unexpected;

    /// <summary>Calls the leader with <paramref name="token"/>, retrying on the other replica for up to <paramref name="patience"/>.</summary>
    public async Task<T> CallAsync<T>(string what, string token, Func<CallInvoker, CallOptions, Task<T>> call, TimeSpan patience, CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (true)
        {
            var index = Volatile.Read(ref _current);
            try
            {
                var result = await OnceAsync(index, what, token, call, cancellationToken);
                return result;
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded && !cancellationToken.IsCancellationRequested)
            {
                Interlocked.CompareExchange(ref _current, (index + 1) % _channels.Length, index);
                if (TimeProvider.System.GetElapsedTime(started) > patience)
                {
                    throw;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
            }
        }
    }

    /// <summary>One call to replica <paramref name="index"/>, no retry (the failover probe).</summary>
    public async Task<T> OnceAsync<T>(int index, string what, string token, Func<CallInvoker, CallOptions, Task<T>> call, CancellationToken cancellationToken)
    {
        var options = new CallOptions(
            headers: new Metadata { { "authorization", "Bearer " + token } },
            deadline: TimeProvider.System.GetUtcNow().UtcDateTime + s_callDeadline,
            cancellationToken: cancellationToken);
        try
        {
            var result = await call(_channels[index].CreateCallInvoker(), options);
            _statuses.AddOrUpdate(StatusCode.OK, 1, (_, n) => n + 1);
            Volatile.Write(ref _current, index);
            return result;
        }
        catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
        {
            _statuses.AddOrUpdate(ex.StatusCode, 1, (_, n) => n + 1);
            if (ex.StatusCode is StatusCode.Internal or StatusCode.Unknown)
            {
                _unexpected.Enqueue($"{what} on replica {index}: {ex.StatusCode} {ex.Status.Detail}");
            }

            throw;
        }
    }

    public void Dispose()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }
    }
}
