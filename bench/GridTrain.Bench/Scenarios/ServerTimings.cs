using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Diagnostics.Tracing;

namespace GridTrain.Bench.Scenarios;

/// <summary>
/// The controller's own view of a window of the control-plane benchmark, when it runs in this process: how long it took
/// to serve each heartbeat, a <c>Heartbeat</c> call or an exchange of a <c>Heartbeats</c> stream (its
/// <c>gridtrain.rpc.server.duration</c> histogram, read value by value), and how long
/// the garbage collector paused it. Against the latency the fleet measures, this separates the controller's time from
/// the time a heartbeat spent in the network stack and in the fleet's own processes, which share the machine. Two probes
/// say where the rest went: each of the collector's pauses (the runtime's own GC events), and how long a work item
/// queued to the thread pool every 5 ms waited to run (a heartbeat's read, handling and answer each wait so).
/// </summary>
internal sealed class ServerTimings : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<double> _heartbeats = new();
    private readonly ConcurrentQueue<double> _queueDelays = new();
    private readonly GcPauses _gcPauses = new();
    private readonly Thread _prober;
    private volatile bool _recording;
    private volatile bool _disposed;
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
        _prober = new Thread(ProbeThreadPool) { IsBackground = true, Name = "thread-pool probe" };
        _prober.Start();
    }

    /// <summary>Starts a window.</summary>
    public void Start()
    {
        _heartbeats.Clear();
        _queueDelays.Clear();
        _gcPauses.Clear();
        _gcPauses.Recording = true;
        _pausedBefore = GC.GetTotalPauseDuration();
        _collectionsBefore = Collections();
        _recording = true;
    }

    /// <summary>
    /// Ends the window: each heartbeat's time in the controller (ms), the garbage collector's pauses in it (ms), its
    /// collections of generations 0, 1 and 2 (a generation's count includes the older ones'), each pause (ms), and each
    /// probe's wait in the thread pool's queue (ms).
    /// </summary>
    public (List<double> HeartbeatMs, double GcPausedMs, int[] Collections, List<double> PausesMs, List<double> QueueDelaysMs) Stop()
    {
        _recording = false;
        _gcPauses.Recording = false;
        var collections = Collections();
        return (
            [.. _heartbeats],
            Math.Round((GC.GetTotalPauseDuration() - _pausedBefore).TotalMilliseconds, 1),
            [.. collections.Select((count, generation) => count - _collectionsBefore[generation])],
            _gcPauses.Recorded,
            [.. _queueDelays]);
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

    private void ProbeThreadPool()
    {
        while (!_disposed)
        {
            if (_recording)
            {
                var queued = Stopwatch.GetTimestamp();
                ThreadPool.UnsafeQueueUserWorkItem(static state => state.Timings._queueDelays.Enqueue(Stopwatch.GetElapsedTime(state.Queued).TotalMilliseconds), (Timings: this, Queued: queued), preferLocal: false);
            }

            Thread.Sleep(5);
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _prober.Join();
        _gcPauses.Dispose();
        _listener.Dispose();
    }

    /// <summary>Each pause of the collector, from the runtime's GC events: from suspending the runtime to restarting it.</summary>
    private sealed class GcPauses : EventListener
    {
        private readonly ConcurrentQueue<double> _pauses = new();
        private DateTime _suspended;

        public volatile bool Recording;

        public List<double> Recorded => [.. _pauses];

        public void Clear() => _pauses.Clear();

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(eventSource, EventLevel.Informational, (EventKeywords)0x1); // GC
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventName is "GCSuspendEEBegin_V1")
            {
                _suspended = e.TimeStamp;
            }
            else if (e.EventName is "GCRestartEEEnd_V1" && _suspended != default && Recording)
            {
                _pauses.Enqueue((e.TimeStamp - _suspended).TotalMilliseconds);
            }
        }
    }
}
