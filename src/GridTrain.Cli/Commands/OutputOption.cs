using GridTrain.Cli.Output;

namespace GridTrain.Cli.Commands;

/// <summary><c>-o, --output table|json</c>.</summary>
internal static class OutputOption
{
    private static readonly Dictionary<string, OutputFormat> Formats = new(StringComparer.Ordinal)
    {
        ["table"] = OutputFormat.Table,
        ["json"] = OutputFormat.Json,
    };

    public static ChoiceOption<OutputFormat> Create() => new("--output", Formats, "-o")
    {
        Description = "table for people, json (protobuf JSON) for scripts [default: table]",
    };
}
