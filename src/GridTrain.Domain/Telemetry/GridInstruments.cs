using System.Diagnostics.Metrics;

namespace GridTrain.Domain.Telemetry;

/// <summary>
/// The grid's event metrics on the BCL's <see cref="Meter"/> <c>GridTrain.Grid</c>: leases granted and expired,
/// scheduling latency and evictions by cause. Exporters (Prometheus, OTLP) subscribe by the meter's name; the
/// coordinator records only after an operation's changes are saved.
/// </summary>
public sealed class GridInstruments : IDisposable
{
    /// <summary>Name of the meter the instruments belong to.</summary>
    public const string MeterName = "GridTrain.Grid";

    private static readonly double[] LatencyBuckets = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];

    private readonly Meter _meter;
    private readonly Counter<long> _leasesGranted;
    private readonly Counter<long> _leasesExpired;
    private readonly Histogram<double> _schedulingLatency;
    private readonly Counter<long> _evictions;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>, or on a standalone meter when null.</summary>
    public GridInstruments(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _leasesGranted = _meter.CreateCounter<long>("gridtrain.leases.granted", "{lease}", "Leases granted: sessions placed on an agent under a new lease epoch.");
        _leasesExpired = _meter.CreateCounter<long>("gridtrain.leases.expired", "{lease}", "Leases that expired because their agent stopped heartbeating; the session went back to the queue.");
        _schedulingLatency = _meter.CreateHistogram(
            "gridtrain.scheduling.latency",
            "s",
            "Time a session waited in the queue before it was placed on an agent.",
            tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _evictions = _meter.CreateCounter<long>("gridtrain.evictions", "{eviction}", "Sessions evicted from their agent, by cause (idle, lifetime, preempted, drain).");
    }

    /// <summary>The meter, for extra instruments on the same scope.</summary>
    public Meter Meter => _meter;

    internal void LeaseGranted(TimeSpan queued)
    {
        _leasesGranted.Add(1);
        _schedulingLatency.Record(Math.Max(0, queued.TotalSeconds));
    }

    internal void LeaseExpired() => _leasesExpired.Add(1);

    internal void Evicted(EvictionCause cause) => _evictions.Add(1, new KeyValuePair<string, object?>("reason", cause.Label()));

    public void Dispose() => _meter.Dispose();
}
