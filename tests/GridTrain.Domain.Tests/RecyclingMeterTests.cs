using System.Diagnostics.Metrics;
using GridTrain.Domain.Telemetry;

namespace GridTrain.Domain.Tests;

/// <summary>
/// Gauges whose series come and go get fresh instruments once half the exporter's series limit has been seen, so that
/// the exporter forgets ended series; live series carry on in the new instruments.
/// </summary>
public sealed class RecyclingMeterTests : IDisposable
{
    private readonly object _scope = new();
    private readonly MeterListener _listener = new();
    private readonly List<Instrument> _published = [];
    private readonly List<Instrument> _completed = [];
    private readonly HashSet<string> _live = new(StringComparer.Ordinal);
    private string[] _current = [];

    public RecyclingMeterTests()
    {
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == _scope)
            {
                _published.Add(instrument);
                l.EnableMeasurementEvents(instrument);
            }
        };
        _listener.MeasurementsCompleted = (instrument, _) => _completed.Add(instrument);
        _listener.Start();
    }

    public void Dispose() => _listener.Dispose();

    [Fact]
    public void SeriesSeenReachHalfTheLimit_InstrumentsAreReplaced_OldOnesCompletedFirst()
    {
        using var meter = Meter(seriesLimit: 10);

        Assert.False(meter.Observe(["s1", "s2"]));
        Assert.False(meter.Observe(["s2", "s3", "s4"]));
        Assert.Equal(4, meter.SeriesSeen);
        Assert.True(meter.Observe(["s4", "s5"]));

        Assert.Equal(1, meter.Generation);
        Assert.Equal(2, _published.Count);
        var old = Assert.Single(_completed);
        Assert.Same(_published[0], old);
        Assert.Equal(2, meter.SeriesSeen); // the live ones, counted afresh
    }

    [Fact]
    public void LiveSeriesAloneAtHalfTheLimit_NothingIsReplaced()
    {
        using var meter = Meter(seriesLimit: 10);

        Assert.False(meter.Observe(["s1", "s2", "s3", "s4", "s5"]));
        Assert.False(meter.Observe(["s6", "s7", "s8", "s9", "s10"]));

        Assert.Equal(0, meter.Generation);
        Assert.Empty(_completed);
    }

    [Fact]
    public void Families_CountedApart_AnyOneAtHalfTheLimitReplaces()
    {
        using var meter = Meter(seriesLimit: 10);

        Assert.False(meter.Observe(["s1", "s2", "s3"], ["a1", "a2", "a3"]));
        Assert.False(meter.Observe(["s4"], ["a1"]));
        Assert.Equal(4, meter.SeriesSeen);
        Assert.True(meter.Observe(["s5"], ["a1"]));

        Assert.Equal(1, meter.Generation);
    }

    [Fact]
    public void AfterReplacement_TheNewInstrumentsReportTheLiveSeries()
    {
        using var meter = Meter(seriesLimit: 4);
        meter.Observe(["s1"]);
        meter.Observe(["s2"]);
        Assert.Equal(1, meter.Generation);

        _current = ["s2"];
        _listener.SetMeasurementEventCallback<int>((_, _, tags, _) => _live.Add((string)tags[0].Value!));
        _listener.RecordObservableInstruments();

        Assert.Equal(["s2"], _live);
        Assert.Equal(2, _published.Count);
    }

    [Fact]
    public void Disposed_InstrumentsCompleted_AndNoLongerReplaced()
    {
        var meter = Meter(seriesLimit: 4);
        meter.Dispose();

        Assert.False(meter.Observe(["s1", "s2", "s3"]));
        Assert.Single(_completed);
        Assert.Single(_published);
    }

    private RecyclingMeter Meter(int seriesLimit) =>
        new(new MeterOptions("GridTrain.Test.Recycling") { Scope = _scope }, seriesLimit, meter =>
            meter.CreateObservableGauge("live", () => _current.Select(s => new Measurement<int>(1, new KeyValuePair<string, object?>("series", s)))));
}
