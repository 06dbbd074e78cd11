using System.CommandLine;
using GridTrain.Cli.Config;
using GridTrain.Cli.Errors;
using GridTrain.Client;

namespace GridTrain.Cli.Commands;

/// <summary>
/// <c>--controller URL[,URL…]</c>: the controller to talk to (several replicas: comma-separated; calls follow the
/// leader); <c>GRIDTRAIN_CONTROLLER</c>, else the config file's context, else <c>http://127.0.0.1:7070</c>. Also resolves the token and CA (see <see cref="ConnectionOptions"/>) the same way.
/// </summary>
internal sealed class ControllerOption : Option<Uri[]?>
{
    public const string EnvironmentVariable = "GRIDTRAIN_CONTROLLER";

    public static readonly Uri DefaultAddress = new("http://127.0.0.1:7070");

    private readonly CliContext _context;

    public ControllerOption(CliContext context)
        : base("--controller")
    {
        _context = context;
        Description = $"The controller's address, e.g. http://controller:7070; replicas comma-separated, e.g. http://a:7070,http://b:7070 [env: {EnvironmentVariable}] [default: http://127.0.0.1:7070]";
        HelpName = "URL";
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (TryParseAddresses(text, out var addresses, out var bad))
            {
                return addresses;
            }

            result.AddError($"--controller: '{bad}' is not a controller address; use http://HOST:PORT (several: comma-separated)");
            return null;
        };
    }

    /// <summary>The (first) address from the command line, else from the environment, else from the config file's context, else the default.</summary>
    public Uri Resolve(ParseResult parseResult) => ResolveAll(parseResult)[0];

    /// <summary>Every replica's address, from the same place as <see cref="Resolve"/>; at least one.</summary>
    public Uri[] ResolveAll(ParseResult parseResult)
    {
        if (parseResult.GetValue(this) is { Length: > 0 } given)
        {
            return given;
        }

        if (_context.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnvironment)
        {
            return TryParseAddresses(fromEnvironment, out var addresses, out var bad)
                ? addresses
                : throw new CliException($"{EnvironmentVariable}: '{bad}' is not a controller address; use http://HOST:PORT (several: comma-separated)", ExitCodes.Usage);
        }

        if (SelectedContext(parseResult)?.Controller is { Length: > 0 } fromContext)
        {
            return TryParseAddresses(fromContext, out var addresses, out var bad)
                ? addresses
                : throw new CliException($"config file: '{bad}' is not a controller address; use http://HOST:PORT (several: comma-separated)", ExitCodes.Usage);
        }

        return [DefaultAddress];
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
    public GridTrainClient Connect(ParseResult parseResult)
    {
        var addresses = ResolveAll(parseResult);
        return new(addresses[0], new GridTrainClientOptions { Token = ResolveToken(parseResult), CaFile = ResolveCaFile(parseResult), OtherControllers = addresses[1..] });
    }

    private ControllerContext? SelectedContext(ParseResult parseResult)
    {
        var name = ConnectionOptions.Value(parseResult, ConnectionOptions.Context)
            ?? (_context.GetEnvironmentVariable(ConnectionOptions.ContextVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null);
        var path = CliConfig.PathFor(_context);
        return path is null && name is null ? null : CliConfig.Load(path).Select(name);
    }

    /// <summary>Comma-separated addresses (see <see cref="TryParseAddress"/>); <paramref name="bad"/> is the first that is not one.</summary>
    public static bool TryParseAddresses(string value, out Uri[] addresses, out string bad)
    {
        var parsed = new List<Uri>();
        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!TryParseAddress(part, out var address))
            {
                addresses = [];
                bad = part;
                return false;
            }

            parsed.Add(address);
        }

        addresses = [.. parsed];
        bad = "";
        return true;
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
