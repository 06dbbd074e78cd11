using System.CommandLine;
using GridTrain.Cli.Config;
using GridTrain.Cli.Errors;
using GridTrain.Client;

namespace GridTrain.Cli.Commands;

/// <summary>
/// <c>--controller URL</c>: the controller to talk to; <c>GRIDTRAIN_CONTROLLER</c>, else the config file's context,
/// else <c>http://127.0.0.1:7070</c>. Also resolves the token and CA (see <see cref="ConnectionOptions"/>) the same way.
/// </summary>
internal sealed class ControllerOption : Option<Uri?>
{
    public const string EnvironmentVariable = "GRIDTRAIN_CONTROLLER";

    public static readonly Uri DefaultAddress = new("http://127.0.0.1:7070");

    private readonly CliContext _context;

    public ControllerOption(CliContext context)
        : base("--controller")
    {
        _context = context;
        Description = $"The controller's address, e.g. http://controller:7070 [env: {EnvironmentVariable}] [default: http://127.0.0.1:7070]";
        HelpName = "URL";
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (TryParseAddress(text, out var address))
            {
                return address;
            }

            result.AddError($"--controller: '{text}' is not a controller address; use http://HOST:PORT");
            return null;
        };
    }

    /// <summary>The address from the command line, else from the environment, else from the config file's context, else the default.</summary>
    public Uri Resolve(ParseResult parseResult)
    {
        if (parseResult.GetValue(this) is { } given)
        {
            return given;
        }

        if (_context.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnvironment)
        {
            return TryParseAddress(fromEnvironment, out var address)
                ? address
                : throw new CliException($"{EnvironmentVariable}: '{fromEnvironment}' is not a controller address; use http://HOST:PORT", ExitCodes.Usage);
        }

        if (SelectedContext(parseResult)?.Controller is { Length: > 0 } fromContext)
        {
            return TryParseAddress(fromContext, out var address)
                ? address
                : throw new CliException($"config file: '{fromContext}' is not a controller address; use http://HOST:PORT", ExitCodes.Usage);
        }

        return DefaultAddress;
    }

    /// <summary>The API token: <c>--token</c>, else <c>GRIDTRAIN_TOKEN</c>, else the context's; empty when none.</summary>
    public string ResolveToken(ParseResult parseResult) =>
        ConnectionOptions.Value(parseResult, ConnectionOptions.Token)
        ?? (_context.GetEnvironmentVariable(ConnectionOptions.TokenVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null)
        ?? SelectedContext(parseResult)?.Token
        ?? "";

    /// <summary>The CA file: <c>--ca-file</c>, else <c>GRIDTRAIN_CA_FILE</c>, else the context's; null for the system's roots.</summary>
    public string? ResolveCaFile(ParseResult parseResult)
    {
        var file = ConnectionOptions.Value(parseResult, ConnectionOptions.CaFile)
            ?? (_context.GetEnvironmentVariable(ConnectionOptions.CaFileVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null)
            ?? SelectedContext(parseResult)?.CaFile;
        return file is null || File.Exists(file) ? file : throw new CliException($"--ca-file: '{file}' does not exist", ExitCodes.Usage);
    }

    /// <summary>A client for the controller this command talks to, with the resolved token and CA.</summary>
    public GridTrainClient Connect(ParseResult parseResult) =>
        new(Resolve(parseResult), new GridTrainClientOptions { Token = ResolveToken(parseResult), CaFile = ResolveCaFile(parseResult) });

    private ControllerContext? SelectedContext(ParseResult parseResult)
    {
        var name = ConnectionOptions.Value(parseResult, ConnectionOptions.Context)
            ?? (_context.GetEnvironmentVariable(ConnectionOptions.ContextVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null);
        var path = CliConfig.PathFor(_context);
        return path is null && name is null ? null : CliConfig.Load(path).Select(name);
    }

    /// <summary>An http(s) URL, or <c>HOST:PORT</c> meaning <c>http://HOST:PORT</c>.</summary>
    public static bool TryParseAddress(string value, out Uri address)
    {
        var text = value.Contains("://", StringComparison.Ordinal) ? value : "http://" + value;
        if (Uri.TryCreate(text, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https" && parsed.AbsolutePath == "/" && parsed.Query.Length == 0)
        {
            address = parsed;
            return true;
        }

        address = DefaultAddress;
        return false;
    }
}
