using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using GridTrain.Protos.V1;

namespace GridTrain.Cli.Output;

/// <summary>How values read in tables and progress lines. Invariant culture throughout, so output is the same everywhere.</summary>
internal static class Formats
{
    public const string None = "-";

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>An API state without its prefix: <c>READY</c>, <c>SUCCEEDED</c>.</summary>
    public static string State(System.Enum state) => state.ToString().ToUpperInvariant();

    /// <summary><c>cpu</c>, <c>gpu x2</c>, <c>gpu x1 H100</c>.</summary>
    public static string Resources(ResourceRequest? resources) => resources switch
    {
        null => None,
        { Runtime: Runtime.Gpu } r => $"gpu x{r.GpuCount}" + (r.GpuModel.Length > 0 ? $" {r.GpuModel}" : ""),
        { Runtime: Runtime.Cpu } => "cpu",
        _ => None,
    };

    /// <summary>Time since <paramref name="time"/> in its largest unit: <c>45s</c>, <c>3m</c>, <c>2h</c>, <c>4d</c>.</summary>
    public static string Age(Timestamp? time, DateTimeOffset now)
    {
        if (time is null)
        {
            return None;
        }

        var age = now - time.ToDateTimeOffset();
        return age switch
        {
            { TotalSeconds: < 1 } => "0s",
            { TotalMinutes: < 1 } => $"{(int)age.TotalSeconds}s",
            { TotalHours: < 1 } => $"{(int)age.TotalMinutes}m",
            { TotalDays: < 1 } => $"{(int)age.TotalHours}h",
            _ => $"{(int)age.TotalDays}d",
        };
    }

    /// <summary>A span in two units at most: <c>45s</c>, <c>4m05s</c>, <c>2h03m</c>.</summary>
    public static string Duration(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
        {
            span = TimeSpan.Zero;
        }

        return span switch
        {
            { TotalMinutes: < 1 } => $"{(int)span.TotalSeconds}s",
            { TotalHours: < 1 } => $"{span.Minutes}m{span.Seconds:00}s",
            _ => $"{(int)span.TotalHours}h{span.Minutes:00}m",
        };
    }

    /// <summary>An absolute time in UTC, to the millisecond.</summary>
    public static string Time(Timestamp? time) =>
        time is null ? None : time.ToDateTimeOffset().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", Invariant);

    /// <summary>Bytes in binary units: <c>512 MiB</c>, <c>15.6 GiB</c>.</summary>
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? $"{bytes} B" : $"{value.ToString(value < 10 ? "0.0" : "0", Invariant)} {units[unit]}";
    }

    /// <summary>A fraction as a percentage: <c>87.4%</c>.</summary>
    public static string Percent(double fraction) => (fraction * 100).ToString("0.0", Invariant) + "%";

    /// <summary>Examples per second with thousands separators: <c>1,850</c>.</summary>
    public static string Rate(double perSecond) => perSecond.ToString("N0", Invariant);

    /// <summary>A loss or learning rate: up to four significant decimals.</summary>
    public static string Number(double value) => value.ToString("0.####", Invariant);

    public static string Integer(long value) => value.ToString(Invariant);

    /// <summary>The text, cut to <paramref name="length"/> characters with an ellipsis.</summary>
    public static string Truncate(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";
}
