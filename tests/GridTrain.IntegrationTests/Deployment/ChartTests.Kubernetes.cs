using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using GridTrain.Agent.Metrics;
using GridTrain.Controller.Metrics;
using YamlDotNet.RepresentationModel;

namespace GridTrain.IntegrationTests.Deployment;

/// <summary>
/// The Kubernetes objects the templates make, read without helm: each template's first branch (every if/with/range
/// taken, every else dropped, every inline action a placeholder) must parse as YAML objects with the fields the API
/// server requires; probes must ask the processes for paths they serve on ports the containers declare.
/// </summary>
public sealed partial class ChartTests
{
    private static readonly HashSet<string> HealthPaths =
    [
        ControllerMetricsExtensions.LivenessPath, ControllerMetricsExtensions.ReadinessPath,
        AgentTelemetryServer.LivenessPath, AgentTelemetryServer.ReadinessPath,
    ];

    [Fact]
    public void Templates_FirstBranches_AreKubernetesObjectsWithTheirRequiredFields()
    {
        var objects = RenderedObjects().ToList();
        var problems = objects.SelectMany(o => RequiredFieldProblems(o.Object).Select(p => $"{o.File} {Text(o.Object, "kind")}: {p}")).ToList();

        Assert.Equal(
            ["ConfigMap", "DaemonSet", "Deployment", "PersistentVolumeClaim", "PodMonitor", "Service", "ServiceAccount", "ServiceMonitor"],
            objects.Select(o => Text(o.Object, "kind")).Distinct().Order(StringComparer.Ordinal));
        Assert.Empty(problems);
    }

    [Fact]
    public void Probes_AskForHealthPathsTheProcessesServe_OnDeclaredPorts()
    {
        var workloads = RenderedObjects().Where(o => Text(o.Object, "kind") is "Deployment" or "DaemonSet").ToList();
        Assert.Equal(2, workloads.Count);

        foreach (var (file, workload) in workloads)
        {
            var container = Assert.IsType<YamlMappingNode>(Assert.Single(Sequence(workload, "spec.template.spec.containers")));
            var ports = Sequence(container, "ports").Cast<YamlMappingNode>().Select(p => Text(p, "name")).ToHashSet(StringComparer.Ordinal);
            Assert.Contains("metrics", ports);
            foreach (var probe in new[] { "readinessProbe", "livenessProbe" })
            {
                var path = Text(container, $"{probe}.httpGet.path");
                Assert.True(HealthPaths.Contains(path), $"{file} {probe}: {path} is not a health path the process serves");
                Assert.Contains(Text(container, $"{probe}.httpGet.port"), ports);
            }

            Assert.Equal(ControllerMetricsExtensions.LivenessPath, Text(container, "livenessProbe.httpGet.path"));
            Assert.Equal(ControllerMetricsExtensions.ReadinessPath, Text(container, "readinessProbe.httpGet.path"));
        }
    }

    [Fact]
    public void MonitoringObjects_ScrapeTheMetricsPortAndPath()
    {
        var monitors = RenderedObjects().Where(o => Text(o.Object, "kind") is "ServiceMonitor" or "PodMonitor").ToDictionary(o => Text(o.Object, "kind"), o => o.Object);

        var serviceEndpoint = Assert.IsType<YamlMappingNode>(Assert.Single(Sequence(monitors["ServiceMonitor"], "spec.endpoints")));
        var podEndpoint = Assert.IsType<YamlMappingNode>(Assert.Single(Sequence(monitors["PodMonitor"], "spec.podMetricsEndpoints")));
        Assert.All([serviceEndpoint, podEndpoint], endpoint =>
        {
            Assert.Equal("metrics", Text(endpoint, "port"));
            Assert.Equal(ControllerMetricsExtensions.MetricsPath, Text(endpoint, "path"));
        });
        Assert.Equal("agent", Text(monitors["PodMonitor"], "spec.selector.matchLabels.app.kubernetes.io/component"));
    }

    [Fact]
    public void Dashboards_EveryPanelHasQueriesOnTheDatasourceVariable()
    {
        var files = Directory.GetFiles(Path.Combine(ChartDirectory, "dashboards"), "*.json");
        Assert.Contains(files, f => Path.GetFileName(f) == "gridtrain.json");

        foreach (var file in files)
        {
            using var document = JsonDocument.Parse(File.ReadAllText(file));
            var root = document.RootElement;
            Assert.False(string.IsNullOrEmpty(root.GetProperty("uid").GetString()));
            Assert.Contains(root.GetProperty("templating").GetProperty("list").EnumerateArray(), v => v.GetProperty("name").GetString() == "datasource" && v.GetProperty("type").GetString() == "datasource");
            var panels = root.GetProperty("panels").EnumerateArray().ToList();
            Assert.Equal(panels.Count, panels.Select(p => p.GetProperty("id").GetInt32()).Distinct().Count());
            Assert.All(panels, panel =>
            {
                Assert.Equal("${datasource}", panel.GetProperty("datasource").GetProperty("uid").GetString());
                Assert.False(string.IsNullOrWhiteSpace(panel.GetProperty("description").GetString()));
                Assert.Contains(panel.GetProperty("targets").EnumerateArray(), t => !string.IsNullOrWhiteSpace(t.GetProperty("expr").GetString()));
            });
        }
    }

    private static IEnumerable<(string File, YamlMappingNode Object)> RenderedObjects()
    {
        foreach (var file in TemplateFiles().Where(f => f.EndsWith(".yaml", StringComparison.Ordinal)))
        {
            var stream = new YamlStream();
            var rendered = FirstBranch(File.ReadAllText(file));
            try
            {
                stream.Load(new StringReader(rendered));
            }
            catch (YamlDotNet.Core.YamlException ex)
            {
                Assert.Fail($"{Path.GetFileName(file)}: its first branch is not YAML ({ex.Message}):\n{rendered}");
            }

            foreach (var document in stream.Documents)
            {
                yield return (Path.GetFileName(file), Assert.IsType<YamlMappingNode>(document.RootNode));
            }
        }
    }

    /// <summary>
    /// The template with every block's first branch kept (else branches dropped), lines that are only actions
    /// (<c>toYaml</c>, <c>include</c>, variables, <c>fail</c>) dropped, and inline actions replaced by <c>x</c>.
    /// </summary>
    private static string FirstBranch(string template)
    {
        var output = new StringBuilder();
        var emitting = new Stack<bool>();
        foreach (var line in template.Split('\n'))
        {
            var trimmed = line.Trim();
            if (WholeLineAction().Match(trimmed) is { Success: true } action)
            {
                var keyword = action.Groups["body"].Value.Trim().Split(' ', 2)[0];
                switch (keyword)
                {
                    case "if" or "with" or "range" or "define" or "block":
                        emitting.Push(true);
                        break;
                    case "else":
                        emitting.Pop();
                        emitting.Push(false);
                        break;
                    case "end":
                        emitting.Pop();
                        break;
                }

                continue;
            }

            if (emitting.All(e => e))
            {
                output.AppendLine(InlineAction().Replace(line, "x"));
            }
        }

        return output.ToString();
    }

    private static IEnumerable<string> RequiredFieldProblems(YamlMappingNode o)
    {
        var required = new List<string> { "apiVersion", "kind", "metadata.name" };
        required.AddRange(Text(o, "kind") switch
        {
            "Deployment" or "DaemonSet" => ["spec.selector.matchLabels", "spec.template.metadata.labels", "spec.template.spec.containers"],
            "Service" => ["spec.selector", "spec.ports"],
            "PersistentVolumeClaim" => ["spec.accessModes", "spec.resources.requests.storage"],
            "ServiceMonitor" => ["spec.selector.matchLabels", "spec.endpoints"],
            "PodMonitor" => ["spec.selector.matchLabels", "spec.podMetricsEndpoints"],
            "ConfigMap" => ["data"],
            _ => [],
        });
        foreach (var path in required.Where(p => Find(o, p) is null))
        {
            yield return $"missing {path}";
        }

        if (Text(o, "kind") is "Deployment" or "DaemonSet")
        {
            foreach (var container in Sequence(o, "spec.template.spec.containers").Concat(Sequence(o, "spec.template.spec.initContainers")).Cast<YamlMappingNode>())
            {
                foreach (var path in new[] { "name", "image", "securityContext" }.Where(p => Find(container, p) is null))
                {
                    yield return $"container {Text(container, "name")}: missing {path}";
                }

                foreach (var port in Sequence(container, "ports").Cast<YamlMappingNode>().Where(p => Find(p, "containerPort") is null))
                {
                    yield return $"container {Text(container, "name")}: port {Text(port, "name")} without containerPort";
                }
            }
        }

        if (Text(o, "kind") == "Service")
        {
            foreach (var port in Sequence(o, "spec.ports").Cast<YamlMappingNode>().Where(p => Find(p, "port") is null || Find(p, "name") is null))
            {
                yield return $"port {Text(port, "name")} without name or port";
            }
        }
    }

    /// <summary>The node at a dotted path; a segment may itself contain dots when it names a key that does (labels).</summary>
    private static YamlNode? Find(YamlNode node, string path)
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

    private static string Text(YamlNode node, string path) => (Find(node, path) as YamlScalarNode)?.Value ?? "";

    private static IEnumerable<YamlNode> Sequence(YamlNode node, string path) => Find(node, path) is YamlSequenceNode sequence ? sequence.Children : [];

    [GeneratedRegex(@"^\{\{-?(?<body>.*?)-?\}\}$")]
    private static partial Regex WholeLineAction();

    [GeneratedRegex(@"\{\{-?.*?-?\}\}")]
    private static partial Regex InlineAction();
}
