namespace GridTrain.Agent.UserCode;

/// <summary>
/// What of the agent's own environment a user's process must not inherit: the agent's credentials and configuration
/// (<c>GRIDTRAIN_*</c>: join token, Drive credentials JSON, controller address and settings) and Google application
/// default credentials. The rest (PATH, HOME, locale, proxies) passes through, as a terminal on the machine would see it.
/// </summary>
public static class UserEnvironment
{
    private static readonly string[] SecretNames =
    [
        "GOOGLE_APPLICATION_CREDENTIALS",
        "GOOGLE_CLOUD_PROJECT",
        "CLOUDSDK_CONFIG",
        "SSL_KEY_FILE",
    ];

    /// <summary>Variables the grid sets for user processes; a user's own environment may not override them.</summary>
    public const string GridPrefix = "GRIDTRAIN_";

    /// <summary>Removes the agent's secrets and settings from <paramref name="environment"/>.</summary>
    public static void Scrub(IDictionary<string, string?> environment)
    {
        foreach (var name in environment.Keys.Where(IsAgents).ToList())
        {
            environment.Remove(name);
        }
    }

    /// <summary>Whether a variable belongs to the agent and never reaches user code.</summary>
    public static bool IsAgents(string name) =>
        name.StartsWith(GridPrefix, StringComparison.OrdinalIgnoreCase)
        || SecretNames.Contains(name, StringComparer.OrdinalIgnoreCase);
}
