using System.Globalization;

namespace GridTrain.Cli.Commands;

/// <summary>Durations as written on a command line: <c>500ms</c>, <c>2s</c>, <c>5m</c>, <c>1h</c>, or <c>00:00:02</c>.</summary>
internal static class DurationParser
{
    private static readonly (string Suffix, double Seconds)[] Units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)];

    public static bool TryParse(string text, out TimeSpan duration)
    {
        foreach (var (suffix, seconds) in Units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var count)
                && double.IsFinite(count))
            {
                duration = TimeSpan.FromSeconds(count * seconds);
                return true;
            }
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration);
    }
}
