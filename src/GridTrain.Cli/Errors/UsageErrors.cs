using System.CommandLine;
using System.CommandLine.Parsing;

namespace GridTrain.Cli.Errors;

/// <summary>Prints command-line mistakes and where to read the usage.</summary>
internal static class UsageErrors
{
    public static void Write(ParseResult parseResult, TextWriter error)
    {
        foreach (var problem in parseResult.Errors)
        {
            error.WriteLine($"error: {problem.Message}");
        }

        error.WriteLine($"Run '{CommandPath(parseResult.CommandResult)} --help' for usage.");
    }

    private static string CommandPath(CommandResult command)
    {
        var names = new List<string>();
        for (SymbolResult? current = command; current is not null; current = current.Parent)
        {
            if (current is CommandResult { Command: var c })
            {
                names.Add(c is RootCommand ? "gridtrain" : c.Name);
            }
        }

        names.Reverse();
        return string.Join(' ', names);
    }
}
