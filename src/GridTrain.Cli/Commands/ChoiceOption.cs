using System.CommandLine;

namespace GridTrain.Cli.Commands;

/// <summary>An option that takes one of a fixed set of words (case-insensitive) and names them when given another.</summary>
internal sealed class ChoiceOption<T> : Option<T>
{
    public ChoiceOption(string name, IReadOnlyDictionary<string, T> choices, params string[] aliases)
        : base(name, aliases)
    {
        var words = string.Join(", ", choices.Keys);
        HelpName = string.Join('|', choices.Keys);
        CompletionSources.Add(choices.Keys.ToArray());
        CustomParser = result =>
        {
            var value = result.Tokens[0].Value;
            var match = choices.FirstOrDefault(c => string.Equals(c.Key, value, StringComparison.OrdinalIgnoreCase));
            if (match.Key is null)
            {
                result.AddError($"{name}: unknown value '{value}'; use one of {words}");
                return default;
            }

            return match.Value;
        };
    }
}
