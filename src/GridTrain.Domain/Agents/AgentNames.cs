using System.Text.RegularExpressions;

namespace GridTrain.Domain.Agents;

/// <summary>Agent names are DNS labels, so they can be node names and never escape a directory.</summary>
public static partial class AgentNames
{
    public static bool IsValid(string name) => NamePattern().IsMatch(name);

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]
    private static partial Regex NamePattern();
}
