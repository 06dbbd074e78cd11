using System.Diagnostics.Metrics;

namespace GridTrain.Domain.Telemetry;

/// <summary>
/// The grid's event metrics on the BCL's <see cref="Meter"/> <c>GridTrain.Grid</c>: leases granted and expired,
/// scheduling latency and evictions by cause. Exporters (Prometheus, OTLP) subscribe by the meter's name; the
/// coordinator records only after an operation's changes are saved.
/// </summary>
/// <remarks>
/// The counters are observable totals: every series (each eviction cause included) exists from the start at zero,
/// whenever an exporter subscribes, so a rate over them never misses the first event.
/// </remarks>
public sealed class GridInstruments : IDisposable
{
    /// <summary>Name of the meter the instruments belong to.</summary>
    public const string MeterName = "GridTrain.Grid";

    private static readonly double[] LatencyBuckets = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];
    private static readonly EvictionCause[] Causes = Enum.GetValues<EvictionCause>();

    private readonly Meter _meter;
    private readonly Histogram<double> _schedulingLatency;
    private readonly long[] _evictions = new long[Causes.Length];
    private long _leasesGranted;
    private long _leasesExpired;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>, or on a standalone meter when null.</summary>
    public GridInstruments(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _meter.CreateObservableCounter("gridtrain.leases.granted", () => LeasesGranted, "{lease}", "Leases granted: sessions placed on an agent under a new lease epoch.");
        _meter.CreateObservableCounter("gridtrain.leases.expired", () => LeasesExpired, "{lease}", "Leases that expired because their agent stopped heartbeating; the session went back to the queue.");
        _meter.CreateObservableCounter(
            "gridtrain.evictions",
            () => Causes.Select(cause => new Measurement<long>(Evictions(cause), new KeyValuePair<string, object?>("reason", cause.Label()))),
            "{eviction}",
            "Sessions evicted from their agent, by cause (idle, lifetime, preempted, drain, gpu_fault).");
        _schedulingLatency = _meter.CreateHistogram(
            "gridtrain.scheduling.latency",
            "s",
            "Time a session waited in the queue before it was placed on an agent.",
            tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
    }

    /// <summary>The meter, for extra instruments on the same scope.</summary>
    public Meter Meter => _meter;

    /// <summary>Leases granted since the controller started.</summary>
    public long LeasesGranted => Interlocked.Read(ref _leasesGranted);

    /// <summary>Leases expired (agent lost) since the controller started.</summary>
    public long LeasesExpired => Interlocked.Read(ref _leasesExpired);

    /// <summary>Evictions for <paramref name="cause"/> since the controller started.</summary>
    public long Evictions(EvictionCause cause) => Interlocked.Read(ref _evictions[Array.IndexOf(Causes, cause)]);

    internal void LeaseGranted(TimeSpan queued)
    {
        Interlocked.Increment(ref _leasesGranted);
        _schedulingLatency.Record(Math.Max(0, queued.TotalSeconds));
    }

    internal void LeaseExpired() => Interlocked.Increment(ref _leasesExpired);

    internal void Evicted(EvictionCause cause) => Interlocked.Increment(ref _evictions[Array.IndexOf(Causes, cause)]);

    public void Dispose() => _meter.Dispose();
}
