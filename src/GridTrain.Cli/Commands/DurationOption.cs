using System.CommandLine;

namespace GridTrain.Cli.Commands;

/// <summary>An optional positive duration such as <c>2s</c>; null when not given.</summary>
internal sealed class DurationOption : Option<TimeSpan?>
{
    public DurationOption(string name)
        : base(name)
    {
        HelpName = "DURATION";
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (!DurationParser.TryParse(text, out var duration) || duration <= TimeSpan.Zero)
            {
                result.AddError($"{name}: '{text}' is not a positive duration; write e.g. 500ms, 2s, 1m");
            }

            return duration;
        };
    }
}
