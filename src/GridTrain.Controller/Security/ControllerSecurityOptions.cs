namespace GridTrain.Controller.Security;

/// <summary>
/// Credentials, TLS and limits of a controller. Nothing set: a bootstrap admin token is generated on first start
/// (see <see cref="Hosting.ControllerServer.AdminToken"/>), agents can join only with join tokens created through
/// the token API, and the controller speaks plain HTTP/2.
/// </summary>
public sealed class ControllerSecurityOptions
{
    /// <summary>Environment variable with the bootstrap admin token.</summary>
    public const string AdminTokenVariable = "GRIDTRAIN_ADMIN_TOKEN";

    /// <summary>Environment variable with the agent join token.</summary>
    public const string JoinTokenVariable = "GRIDTRAIN_JOIN_TOKEN";

    /// <summary>Environment variable with <see cref="UserRequestsPerSecond"/>.</summary>
    public const string RateLimitVariable = "GRIDTRAIN_RATE_LIMIT";

    /// <summary>Shortest configured token accepted (characters); shorter secrets are guessable.</summary>
    public const int MinConfiguredTokenLength = 16;

    /// <summary>An admin token from configuration (any text of at least 16 characters, e.g. from a Kubernetes Secret); acts as user <c>admin</c>.</summary>
    public string? AdminToken { get; init; }

    /// <summary>The agent join token from configuration (at least 16 characters). Join tokens created with the token API work too.</summary>
    public string? JoinToken { get; init; }

    /// <summary>PEM certificate (chain) to serve TLS with; needs <see cref="KeyFile"/>. Unset: plain HTTP/2.</summary>
    public string? CertificateFile { get; init; }

    /// <summary>PEM private key of <see cref="CertificateFile"/>.</summary>
    public string? KeyFile { get; init; }

    /// <summary>
    /// PEM CA certificate that signs agents' client certificates. Set: mutual TLS for agents, whose calls are refused
    /// without a client certificate signed by it (users need none). Needs TLS.
    /// </summary>
    public string? AgentClientCaFile { get; init; }

    /// <summary>Sustained calls per second one user token may make (bursts of twice that); 0: unlimited. Default 50.</summary>
    public int UserRequestsPerSecond { get; init; } = 50;

    /// <summary>Sustained calls per second one agent may make (bursts of twice that); 0: unlimited. Default 200.</summary>
    public int AgentRequestsPerSecond { get; init; } = 200;

    /// <summary>
    /// Directories datasets may be read from (<c>spec.data.idx_directory</c> must lie inside one). Empty: any absolute,
    /// normalized path.
    /// </summary>
    public IReadOnlyList<string> DatasetRoots { get; init; } = [];

    /// <summary>Largest request message accepted, in bytes. Default 4 MiB.</summary>
    public int MaxReceiveMessageBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// Admin and join tokens from <c>GRIDTRAIN_ADMIN_TOKEN</c> and <c>GRIDTRAIN_JOIN_TOKEN</c>, and the user rate limit
    /// from <c>GRIDTRAIN_RATE_LIMIT</c>, when set.
    /// </summary>
    public static ControllerSecurityOptions FromEnvironment()
    {
        var defaults = new ControllerSecurityOptions();
        return new()
        {
            AdminToken = NonEmpty(Environment.GetEnvironmentVariable(AdminTokenVariable)),
            JoinToken = NonEmpty(Environment.GetEnvironmentVariable(JoinTokenVariable)),
            UserRequestsPerSecond = int.TryParse(Environment.GetEnvironmentVariable(RateLimitVariable), System.Globalization.CultureInfo.InvariantCulture, out var rate) && rate >= 0 ? rate : defaults.UserRequestsPerSecond,
        };
    }

    /// <summary>True when the controller serves TLS.</summary>
    public bool UsesTls => CertificateFile is not null;

    /// <summary>Problems with the options, each naming the setting (never a secret's value).</summary>
    public IEnumerable<string> Validate()
    {
        if (AdminToken is { Length: < MinConfiguredTokenLength })
        {
            yield return $"admin token: at least {MinConfiguredTokenLength} characters";
        }

        if (JoinToken is { Length: < MinConfiguredTokenLength })
        {
            yield return $"join token: at least {MinConfiguredTokenLength} characters";
        }

        if ((CertificateFile is null) != (KeyFile is null))
        {
            yield return "TLS: set both the certificate file and the key file";
        }

        foreach (var (name, file) in new[] { ("certificate file", CertificateFile), ("key file", KeyFile), ("agent client CA file", AgentClientCaFile) })
        {
            if (file is not null && !File.Exists(file))
            {
                yield return $"{name}: '{file}' does not exist";
            }
        }

        if (AgentClientCaFile is not null && CertificateFile is null)
        {
            yield return "agent client CA file: mutual TLS needs TLS (set the certificate and key files)";
        }

        if (UserRequestsPerSecond < 0 || AgentRequestsPerSecond < 0)
        {
            yield return "rate limits: must not be negative";
        }

        foreach (var root in DatasetRoots)
        {
            if (!Path.IsPathFullyQualified(root))
            {
                yield return $"dataset root: '{root}' is not an absolute path";
            }
        }

        if (MaxReceiveMessageBytes is < 64 * 1024 or > 64 * 1024 * 1024)
        {
            yield return "max receive message size: between 64 KiB and 64 MiB";
        }
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
