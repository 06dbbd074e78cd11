using System.Diagnostics.Metrics;

namespace GridTrain.Domain.Telemetry;

/// <summary>
/// A meter for gauges whose series come and go: one per session, job or agent. An exporter's cumulative aggregation (the
/// kind Prometheus reads) keeps every tag set it has seen for as long as the instrument lives, and past its cardinality
/// limit sends new ones to an overflow series. A controller that has placed a few thousand sessions would then stop
/// showing new ones. This meter counts the distinct series its owner reports and, once half the limit has been seen,
/// disposes its instruments and creates them again: exporters drop ended series with the old instruments and start
/// afresh. Live series are unaffected (the next collection reads them from the new instruments).
/// </summary>
public sealed class RecyclingMeter : IDisposable
{
    private readonly MeterOptions _options;
    private readonly Action<Meter> _createInstruments;
    private readonly int _recycleAt;
    private readonly List<HashSet<string>> _seen = [];
    private readonly Lock _lock = new();
    private Meter _meter;
    private bool _disposed;

    /// <param name="options">The meter's name and scope (its <see cref="IMeterFactory"/>, so a host exports only its own).</param>
    /// <param name="seriesLimit">The exporter's cardinality limit for each instrument; recycling starts at half of it.</param>
    /// <param name="createInstruments">Creates the instruments on a new meter.</param>
    public RecyclingMeter(MeterOptions options, int seriesLimit, Action<Meter> createInstruments)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(seriesLimit, 2);
        _options = options;
        _createInstruments = createInstruments;
        _recycleAt = seriesLimit / 2;
        _meter = Create();
    }

    /// <summary>How many times the instruments have been replaced.</summary>
    public int Generation { get; private set; }

    /// <summary>Distinct series seen since the instruments were last created, in the family that has seen the most.</summary>
    public int SeriesSeen
    {
        get
        {
            lock (_lock)
            {
                return _seen.Count == 0 ? 0 : _seen.Max(family => family.Count);
            }
        }
    }

    /// <summary>
    /// Notes the series the gauges report from now on, by family: each family is the label sets of one instrument, or
    /// of the most varied of several that share labels. Replaces the instruments once any family has seen half the
    /// limit, unless its live series alone are that many (replacing would not help). Returns whether it replaced them.
    /// </summary>
    public bool Observe(params IReadOnlyCollection<string>[] families)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return false;
            }

            while (_seen.Count < families.Length)
            {
                _seen.Add(new HashSet<string>(StringComparer.Ordinal));
            }

            var recycle = false;
            for (var i = 0; i < families.Length; i++)
            {
                _seen[i].UnionWith(families[i]);
                recycle |= _seen[i].Count >= _recycleAt && families[i].Count < _recycleAt;
            }

            if (!recycle)
            {
                return false;
            }

            // The old instruments go first: while both lived, an exporter would file the new ones under the old
            // (same identity) and lose them both when the old completed.
            _meter.Dispose();
            _meter = Create();
            for (var i = 0; i < families.Length; i++)
            {
                _seen[i].Clear();
                _seen[i].UnionWith(families[i]);
            }

            Generation++;
            return true;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _meter.Dispose();
        }
    }

    private Meter Create()
    {
        var meter = new Meter(_options);
        _createInstruments(meter);
        return meter;
    }
}
