using System.CommandLine;
using GridTrain.Cli.Errors;
using GridTrain.Controller.Security;

namespace GridTrain.Cli.Commands.Controller;

/// <summary>The controller's credential, TLS and limit flags, and the <see cref="ControllerSecurityOptions"/> they make.</summary>
internal sealed class SecurityFlags
{
    private readonly CliContext _context;
    private readonly Option<string> _adminTokenFile = new("--admin-token-file") { Description = $"File with the bootstrap admin token [env: {ControllerSecurityOptions.AdminTokenVariable}] [default: generated and printed once on first start]", HelpName = "FILE" };
    private readonly Option<string> _joinTokenFile = new("--join-token-file") { Description = $"File with the agent join token [env: {ControllerSecurityOptions.JoinTokenVariable}] [default: only join tokens made with 'token create --role agent-join']", HelpName = "FILE" };
    private readonly Option<string> _certificate = new("--tls-cert") { Description = "PEM certificate (chain) to serve TLS with; needs --tls-key", HelpName = "FILE" };
    private readonly Option<string> _key = new("--tls-key") { Description = "PEM private key of --tls-cert", HelpName = "FILE" };
    private readonly Option<string> _agentCa = new("--agent-ca") { Description = "PEM CA of agent client certificates: agents must present one (mutual TLS); needs --tls-cert", HelpName = "FILE" };
    private readonly Option<string[]> _datasetRoots = new("--dataset-root") { Description = "Directory datasets may be read from (repeatable) [default: any absolute path]", HelpName = "DIR", AllowMultipleArgumentsPerToken = false };
    private readonly Option<int?> _userRate = new NumberOption<int>("--rate-limit") { Description = "Calls per second one user token may make, bursts of twice that; 0: unlimited [env: GRIDTRAIN_RATE_LIMIT] [default: 50]", HelpName = "N" }.AtLeast(0);
    private readonly Option<int?> _agentRate = new NumberOption<int>("--agent-rate-limit") { Description = "Calls per second one agent may make, bursts of twice that; 0: unlimited [default: 200]", HelpName = "N" }.AtLeast(0);

    public SecurityFlags(CliContext context) => _context = context;

    public IEnumerable<Option> Options => [_adminTokenFile, _joinTokenFile, _certificate, _key, _agentCa, _datasetRoots, _userRate, _agentRate];

    public ControllerSecurityOptions Build(ParseResult parseResult)
    {
        var defaults = new ControllerSecurityOptions();
        var options = new ControllerSecurityOptions
        {
            AdminToken = Secret(parseResult, _adminTokenFile, ControllerSecurityOptions.AdminTokenVariable),
            JoinToken = Secret(parseResult, _joinTokenFile, ControllerSecurityOptions.JoinTokenVariable),
            CertificateFile = Full(parseResult.GetValue(_certificate)),
            KeyFile = Full(parseResult.GetValue(_key)),
            AgentClientCaFile = Full(parseResult.GetValue(_agentCa)),
            DatasetRoots = [.. (parseResult.GetValue(_datasetRoots) ?? []).Select(Path.GetFullPath)],
            UserRequestsPerSecond = parseResult.GetValue(_userRate) ?? RateFromEnvironment() ?? defaults.UserRequestsPerSecond,
            AgentRequestsPerSecond = parseResult.GetValue(_agentRate) ?? defaults.AgentRequestsPerSecond,
        };
        var problems = options.Validate().ToList();
        return problems.Count == 0 ? options : throw new CliException(string.Join("; ", problems), ExitCodes.Usage);
    }

    /// <summary>A secret from the file a flag names, else from an environment variable; never echoed.</summary>
    internal static string? ReadSecret(string? file, string flag, string? fromEnvironment)
    {
        if (file is null)
        {
            return string.IsNullOrWhiteSpace(fromEnvironment) ? null : fromEnvironment.Trim();
        }

        try
        {
            var text = File.ReadAllText(file).Trim();
            return text.Length > 0 ? text : throw new CliException($"{flag}: '{file}' is empty", ExitCodes.Usage);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"{flag}: cannot read '{file}': {ex.Message}", ExitCodes.Usage);
        }
    }

    private string? Secret(ParseResult parseResult, Option<string> option, string variable) =>
        ReadSecret(parseResult.GetValue(option), option.Name, _context.GetEnvironmentVariable(variable));

    private int? RateFromEnvironment()
    {
        var text = _context.GetEnvironmentVariable(ControllerSecurityOptions.RateLimitVariable);
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        return int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var rate) && rate >= 0
            ? rate
            : throw new CliException($"{ControllerSecurityOptions.RateLimitVariable}: '{text}' is not a whole number of calls per second", ExitCodes.Usage);
    }

    private static string? Full(string? path) => path is null ? null : Path.GetFullPath(path);
}
