using System.CommandLine;
using System.Globalization;
using System.Numerics;

namespace GridTrain.Cli.Commands;

/// <summary>An optional number; null when not given. A value that is not a number is refused naming the option.</summary>
internal sealed class NumberOption<T> : Option<T?>
    where T : struct, INumber<T>
{
    public NumberOption(string name, params string[] aliases)
        : base(name, aliases)
    {
        var kind = typeof(T) == typeof(double) || typeof(T) == typeof(float) ? "a number" : "a whole number";
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (T.TryParse(text, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }

            result.AddError($"{name}: '{text}' is not {kind}");
            return null;
        };
    }
}
