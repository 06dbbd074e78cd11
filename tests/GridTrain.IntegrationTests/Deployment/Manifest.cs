using YamlDotNet.RepresentationModel;

namespace GridTrain.IntegrationTests.Deployment;

/// <summary>Reads rendered Kubernetes objects by dotted path (a segment may itself contain dots, as label keys do).</summary>
internal static class Manifest
{
    public static YamlNode? Find(YamlNode node, string path)
    {
        if (path.Length == 0)
        {
            return node;
        }

        if (node is not YamlMappingNode mapping)
        {
            return null;
        }

        foreach (var (key, child) in mapping.Children)
        {
            var name = ((YamlScalarNode)key).Value!;
            if (path == name)
            {
                return child;
            }

            if (path.StartsWith(name + ".", StringComparison.Ordinal) && Find(child, path[(name.Length + 1)..]) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    public static string Text(YamlNode node, string path) => (Find(node, path) as YamlScalarNode)?.Value ?? "";

    public static IEnumerable<YamlNode> Sequence(YamlNode node, string path) => Find(node, path) is YamlSequenceNode sequence ? sequence.Children : [];

    public static IEnumerable<YamlMappingNode> Mappings(YamlNode node, string path) => Sequence(node, path).Cast<YamlMappingNode>();

    /// <summary>The pod template's single container of a Deployment or DaemonSet.</summary>
    public static YamlMappingNode Container(YamlNode workload) => Assert.Single(Mappings(workload, "spec.template.spec.containers"));

    public static List<string> Args(YamlNode workload) => [.. Sequence(Container(workload), "args").Select(a => ((YamlScalarNode)a).Value!)];

    public static Dictionary<string, string> Labels(YamlNode node, string path) =>
        Find(node, path) is YamlMappingNode labels
            ? labels.Children.ToDictionary(c => ((YamlScalarNode)c.Key).Value!, c => ((YamlScalarNode)c.Value).Value ?? "", StringComparer.Ordinal)
            : [];
}
