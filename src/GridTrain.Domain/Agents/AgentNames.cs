using System.Text.RegularExpressions;

namespace GridTrain.Domain.Agents;

/// <summary>
/// Agent names are DNS subdomains (RFC 1123, as Kubernetes node names are): at most 253 characters of dot-separated
/// labels, each 1-63 characters of a-z, 0-9 and '-' that start and end with a letter or digit. So a node name such as
/// <c>ip-10-0-0-1.ec2.internal</c> is a valid agent name, and a name can never be <c>.</c>, <c>..</c> or hold a '/'.
/// </summary>
public static partial class AgentNames
{
    /// <summary>Longest agent name, in characters.</summary>
    public const int MaxLength = 253;

    /// <summary>What a valid name looks like, for error messages.</summary>
    public const string Rule = "a DNS subdomain: at most 253 characters of dot-separated labels, each 1-63 characters of a-z, 0-9 and '-' starting and ending with a letter or digit";

    public static bool IsValid(string name) => name.Length <= MaxLength && NamePattern().IsMatch(name);

    [GeneratedRegex(@"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")]
    private static partial Regex NamePattern();
}
