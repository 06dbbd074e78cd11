using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Grpc.Core;

namespace GridTrain.Bench.Scenarios;

/// <summary>What a slice of the control-plane fleet (<see cref="ControlPlaneFleet"/>) reports, drained to stdout by one writer.</summary>
internal sealed class FleetReport
{
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentQueue<double> _latencies = new();
    private readonly ConcurrentQueue<double> _latenciesOverGc = new();
    private int _registered;
    private int _reregistered;
    private int _heartbeatErrors;
    private int _registerRefusals;

    public void Registered() => Interlocked.Increment(ref _registered);

    public void Reregistered() => Interlocked.Increment(ref _reregistered);

    /// <summary>Counts a failed heartbeat; the first few are shown on stderr (the parent's console).</summary>
    public void HeartbeatFailed(RpcException error)
    {
        if (Interlocked.Increment(ref _heartbeatErrors) <= 3)
        {
            Console.Error.WriteLine($"heartbeat failed: {error.StatusCode} {error.Status.Detail}");
        }
    }

    public void RegisterRefused() => Interlocked.Increment(ref _registerRefusals);

    /// <summary>A heartbeat's round trip, and whether this process collected garbage while it was in flight.</summary>
    public void Heartbeat(double milliseconds, bool collected) => (collected ? _latenciesOverGc : _latencies).Enqueue(milliseconds);

    public void Placed(string sessionId, long at) =>
        _lines.Writer.TryWrite(JsonSerializer.Serialize(new { t = "placed", s = sessionId, at }));

    public void Complete()
    {
        Flush();
        _lines.Writer.TryComplete();
    }

    public async Task WriteAsync(CancellationToken stop)
    {
        var stdout = Console.Out;
        var flusher = FlushEveryAsync(TimeSpan.FromMilliseconds(250), stop);
        await foreach (var line in _lines.Reader.ReadAllAsync())
        {
            await stdout.WriteLineAsync(line);
        }

        await stdout.FlushAsync();
        await flusher;
    }

    private async Task FlushEveryAsync(TimeSpan period, CancellationToken stop)
    {
        try
        {
            using var timer = new PeriodicTimer(period);
            while (await timer.WaitForNextTickAsync(stop))
            {
                Flush();
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private void Flush()
    {
        static List<double> Drain(ConcurrentQueue<double> queue)
        {
            var drained = new List<double>();
            while (queue.TryDequeue(out var value))
            {
                drained.Add(Math.Round(value, 2));
            }

            return drained;
        }

        _lines.Writer.TryWrite(JsonSerializer.Serialize(new
        {
            t = "stats",
            registered = Volatile.Read(ref _registered),
            reregistered = Volatile.Read(ref _reregistered),
            heartbeat_errors = Volatile.Read(ref _heartbeatErrors),
            register_refusals = Volatile.Read(ref _registerRefusals),
            gc_paused_ms = Math.Round(GC.GetTotalPauseDuration().TotalMilliseconds, 1),
            gc_collections = GC.CollectionCount(0),
            lat = Drain(_latencies),
            lat_gc = Drain(_latenciesOverGc),
        }));
    }
}
