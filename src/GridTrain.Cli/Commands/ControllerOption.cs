using System.CommandLine;
using GridTrain.Cli.Errors;
using GridTrain.Client;

namespace GridTrain.Cli.Commands;

/// <summary><c>--controller URL</c>: the controller to talk to; <c>GRIDTRAIN_CONTROLLER</c>, else <c>http://127.0.0.1:7070</c>.</summary>
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

    /// <summary>The address from the command line, else from the environment, else the default.</summary>
    public Uri Resolve(ParseResult parseResult)
    {
        if (parseResult.GetValue(this) is { } given)
        {
            return given;
        }

        if (_context.GetEnvironmentVariable(EnvironmentVariable) is not { Length: > 0 } fromEnvironment)
        {
            return DefaultAddress;
        }

        return TryParseAddress(fromEnvironment, out var address)
            ? address
            : throw new CliException($"{EnvironmentVariable}: '{fromEnvironment}' is not a controller address; use http://HOST:PORT", ExitCodes.Usage);
    }

    /// <summary>Names the user to act as (quotas, listings) until bearer tokens land.</summary>
    public const string UserVariable = "GRIDTRAIN_USER";

    /// <summary>A client for the controller this command talks to, acting as <c>GRIDTRAIN_USER</c> when set.</summary>
    public GridTrainClient Connect(ParseResult parseResult) => new(Resolve(parseResult), user: _context.GetEnvironmentVariable(UserVariable));

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
