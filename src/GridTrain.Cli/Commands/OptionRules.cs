using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;

namespace GridTrain.Cli.Commands;

/// <summary>Checks on option values and combinations, reported as usage errors.</summary>
internal static class OptionRules
{
    /// <summary>Refuses values below <paramref name="minimum"/>.</summary>
    public static Option<T?> AtLeast<T>(this Option<T?> option, T minimum)
        where T : struct, INumber<T>
    {
        option.Validators.Add(result =>
        {
            if (TryGetValue<T>(result, out var value) && value < minimum)
            {
                result.AddError($"{option.Name}: must be at least {minimum}, got {value}");
            }
        });
        return option;
    }

    /// <summary>Refuses values outside [<paramref name="minimum"/>, <paramref name="maximum"/>].</summary>
    public static Option<T?> Between<T>(this Option<T?> option, T minimum, T maximum)
        where T : struct, INumber<T>
    {
        option.Validators.Add(result =>
        {
            if (TryGetValue<T>(result, out var value) && (value < minimum || value > maximum))
            {
                result.AddError($"{option.Name}: must be between {minimum} and {maximum}, got {value}");
            }
        });
        return option;
    }

    /// <summary>Refuses zero, negative and non-finite numbers.</summary>
    public static Option<double?> Positive(this Option<double?> option)
    {
        option.Validators.Add(result =>
        {
            if (TryGetValue<double>(result, out var value) && !(value > 0 && double.IsFinite(value)))
            {
                result.AddError($"{option.Name}: must be a positive number, got {value}");
            }
        });
        return option;
    }

    /// <summary>True when the user wrote the option (not merely defaulted).</summary>
    public static bool IsGiven(this CommandResult command, Option option) => command.GetResult(option) is { Implicit: false };

    /// <summary>Requires exactly one of two options.</summary>
    public static void RequireExactlyOne(this Command command, Option first, Option second, string hint)
    {
        command.Validators.Add(result =>
        {
            if (result.IsGiven(first) == result.IsGiven(second))
            {
                result.AddError($"set exactly one of {first.Name} and {second.Name}: {hint}");
            }
        });
    }

    // Validators run before conversion errors are reported, so a value that is not a number is left to the parser's own message.
    private static bool TryGetValue<T>(OptionResult result, out T value)
        where T : struct, INumber<T>
    {
        value = default;
        return result.Tokens is [var token] && T.TryParse(token.Value, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out value);
    }
}
