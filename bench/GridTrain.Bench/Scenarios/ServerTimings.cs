using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace GridTrain.Bench.Scenarios;

/// <summary>
/// The controller's own view of a window of the control-plane benchmark, when it runs in this process: how long it took
/// to serve each heartbeat, a <c>Heartbeat</c> call or an exchange of a <c>Heartbeats</c> stream (its
/// <c>gridtrain.rpc.server.duration</c> histogram, read value by value), and how long
/// the garbage collector paused it. Against the latency the fleet measures, this separates the controller's time from
/// the time a heartbeat spent in the network stack and in the fleet's own processes, which share the machine.
/// </summary>
internal sealed class ServerTimings : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<double> _heartbeats = new();
    private volatile bool _recording;
    private TimeSpan _pausedBefore;
    private int[] _collectionsBefore = [];

    public ServerTimings()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Name == "gridtrain.rpc.server.duration")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, seconds, tags, _) =>
        {
            if (!_recording)
            {
                return;
            }

            foreach (var tag in tags)
            {
                if (tag.Key == "rpc_method" && tag.Value is string method && (method.EndsWith("/Heartbeat", StringComparison.Ordinal) || method.EndsWith("/Heartbeats", StringComparison.Ordinal)))
                {
                    _heartbeats.Enqueue(seconds * 1000);
                }
            }
        });
        _listener.Start();
    }

    /// <summary>Starts a window.</summary>
    public void Start()
    {
        _heartbeats.Clear();
        _pausedBefore = GC.GetTotalPauseDuration();
        _collectionsBefore = Collections();
        _recording = true;
    }

    /// <summary>
    /// Ends the window: each heartbeat's time in the controller (ms), the garbage collector's pauses in it (ms), and its
    /// collections of generations 0, 1 and 2 (a generation's count includes the older ones').
    /// </summary>
    public (List<double> HeartbeatMs, double GcPausedMs, int[] Collections) Stop()
    {
        _recording = false;
        var collections = Collections();
        return (
            [.. _heartbeats],
            Math.Round((GC.GetTotalPauseDuration() - _pausedBefore).TotalMilliseconds, 1),
            [.. collections.Select((count, generation) => count - _collectionsBefore[generation])]);
    }

    /// <summary>The latest collection of each kind: its pause, what it promoted, and the heap and pinned objects it found.</summary>
    public static string DescribeLastCollections() => string.Join("; ", new[] { GCKind.Ephemeral, GCKind.FullBlocking, GCKind.Background }.Select(kind =>
    {
        var info = GC.GetGCMemoryInfo(kind);
        return info.Index == 0
            ? $"{kind}: none"
            : $"{kind} gen{info.Generation}: pause {info.PauseDurations[0].TotalMilliseconds:F1} ms, promoted {info.PromotedBytes / 1048576.0:F1} MiB, "
                + $"heap {info.HeapSizeBytes / 1048576.0:F0} MiB (gen0-2 after: {string.Join('/', info.GenerationInfo.ToArray().Take(3).Select(g => (g.SizeAfterBytes / 1048576.0).ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))} MiB), "
                + $"{info.PinnedObjectsCount} pinned";
    }));

    private static int[] Collections() => [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];

    public void Dispose() => _listener.Dispose();
}
