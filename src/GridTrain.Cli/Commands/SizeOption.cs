using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;

namespace GridTrain.Cli.Commands;

/// <summary>An optional positive size such as <c>20GiB</c>, <c>500MiB</c> or <c>1GB</c>, in bytes; null when not given.</summary>
internal sealed partial class SizeOption : Option<long?>
{
    public SizeOption(string name)
        : base(name)
    {
        HelpName = "SIZE";
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (TryParse(text, out var bytes) && bytes > 0)
            {
                return bytes;
            }

            result.AddError($"{name}: '{text}' is not a positive size; write e.g. 500MiB, 20GiB or 1GB");
            return null;
        };
    }

    /// <summary>Parses a number with an optional unit: B, KiB, MiB, GiB, TiB (powers of 1024) or KB, MB, GB, TB (powers of 1000).</summary>
    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var match = SizePattern().Match(text.Trim());
        if (!match.Success || !decimal.TryParse(match.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        var multiplier = match.Groups[2].Value.ToUpperInvariant() switch
        {
            "" or "B" => 1m,
            "KIB" or "K" => 1024m,
            "MIB" or "M" => 1024m * 1024,
            "GIB" or "G" => 1024m * 1024 * 1024,
            "TIB" or "T" => 1024m * 1024 * 1024 * 1024,
            "KB" => 1e3m,
            "MB" => 1e6m,
            "GB" => 1e9m,
            "TB" => 1e12m,
            _ => 0m,
        };
        var value = number * multiplier;
        if (multiplier == 0 || value > long.MaxValue)
        {
            return false;
        }

        bytes = (long)value;
        return true;
    }

    [GeneratedRegex(@"^([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)$")]
    private static partial Regex SizePattern();
}
