using System.CommandLine;

namespace GridTrain.Cli.Commands;

/// <summary>
/// Options every command that talks to a controller takes, on the root command (recursive): the API token, the CA
/// to verify the controller with, and the config-file context to take defaults from.
/// </summary>
internal static class ConnectionOptions
{
    public const string Token = "--token";
    public const string CaFile = "--ca-file";
    public const string Context = "--context";
    public const string TokenVariable = "GRIDTRAIN_TOKEN";
    public const string CaFileVariable = "GRIDTRAIN_CA_FILE";
    public const string ContextVariable = "GRIDTRAIN_CONTEXT";

    public static IEnumerable<Option> Create() =>
    [
        new Option<string>(Token) { Description = $"API token to call with [env: {TokenVariable}] [default: the context's]", HelpName = "TOKEN", Recursive = true },
        new Option<string>(CaFile) { Description = $"PEM CA certificate to verify the controller's TLS certificate with [env: {CaFileVariable}]", HelpName = "FILE", Recursive = true },
        new Option<string>(Context) { Description = $"Context of the config file to use [env: {ContextVariable}] [default: the current one]", HelpName = "NAME", Recursive = true },
    ];

    /// <summary>The value of a root option, or null when the command has no such option.</summary>
    public static string? Value(ParseResult parseResult, string name)
    {
        try
        {
            return parseResult.GetValue<string>(name) is { Length: > 0 } value ? value : null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
