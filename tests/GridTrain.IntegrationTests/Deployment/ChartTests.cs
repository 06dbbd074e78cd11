using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using GridTrain.IntegrationTests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace GridTrain.IntegrationTests.Deployment;

/// <summary>
/// The chart's and the Dockerfiles' sources, read as files: values.yaml is YAML with every value documented and every
/// value covered by values.schema.json, the templates' actions are balanced and name only values that exist, the
/// images' commands use flags the CLI has, and the dashboards query the datasource variable. The rendered chart is
/// tested in <see cref="ChartRenderTests"/>.
/// </summary>
public sealed partial class ChartTests
{
    private static readonly string RepositoryRoot = Infrastructure.RepositoryRoot.Path;
    private static readonly string ChartDirectory = Path.Combine(RepositoryRoot, "helm", "gridtrain");
    private static readonly string TemplatesDirectory = Path.Combine(ChartDirectory, "templates");

    [Fact]
    public void ChartYaml_IsAHelm3ApplicationChart()
    {
        var chart = LoadYamlMapping(Path.Combine(ChartDirectory, "Chart.yaml"));

        Assert.Equal("v2", Scalar(chart, "apiVersion"));
        Assert.Equal("gridtrain", Scalar(chart, "name"));
        Assert.Equal("application", Scalar(chart, "type"));
        Assert.Matches(@"^\d+\.\d+\.\d+", Scalar(chart, "version"));
        Assert.Matches(@"^\d+\.\d+\.\d+", Scalar(chart, "appVersion"));
    }

    [Fact]
    public void ValuesYaml_Parses_AndEveryValueHasACommentAbove()
    {
        var path = Path.Combine(ChartDirectory, "values.yaml");
        var lines = File.ReadAllLines(path);
        var values = LoadYamlMapping(path);

        var keys = MappingKeys(values, "").ToList();
        var undocumented = keys
            .Where(key => !HasCommentAbove(lines, key.Line))
            .Select(key => $"{key.Path} (line {key.Line})")
            .ToList();

        Assert.Contains(keys, key => key.Path == "controller.image.repository");
        Assert.Contains(keys, key => key.Path == "agent.gpu.count");
        Assert.Empty(undocumented);
        Assert.DoesNotContain(lines, line => line.Contains('\t', StringComparison.Ordinal));
    }

    [Fact]
    public void Templates_HaveBalancedActionsAndBlocks()
    {
        var files = TemplateFiles();
        Assert.Contains(files, file => Path.GetFileName(file) == "_helpers.tpl");
        Assert.Contains(files, file => Path.GetFileName(file) == "NOTES.txt");

        var problems = files.SelectMany(file => DelimiterProblems(file).Select(problem => $"{Path.GetFileName(file)}: {problem}")).ToList();

        Assert.Empty(problems);
    }

    [Fact]
    public void Templates_NameOnlyValuesThatExist()
    {
        var values = LoadYamlMapping(Path.Combine(ChartDirectory, "values.yaml"));
        var missing = new List<string>();
        var checkedPaths = 0;

        foreach (var file in TemplateFiles())
        {
            foreach (var valuePath in ValuePaths(File.ReadAllText(file)))
            {
                checkedPaths++;
                if (!PathExists(values, valuePath))
                {
                    missing.Add($"{Path.GetFileName(file)}: .Values.{valuePath}");
                }
            }
        }

        Assert.True(checkedPaths > 50, $"only {checkedPaths} value references found; is the extraction broken?");
        Assert.Empty(missing.Distinct());
    }

    [Fact]
    public void Dockerfiles_EntrypointsRunTheCliSubcommands()
    {
        Assert.Equal(new[] { "dotnet", "/app/gridtrain.dll", "controller", "run" }, JsonArrayInstruction("Dockerfile.controller", "ENTRYPOINT"));
        Assert.Equal(new[] { "dotnet", "/app/gridtrain.dll", "agent", "run" }, JsonArrayInstruction("Dockerfile.agent", "ENTRYPOINT"));
    }

    [Fact]
    public async Task ImageCommandFlags_ExistInTheCli()
    {
        var controller = Flags(string.Join(' ', JsonArrayInstruction("Dockerfile.controller", "CMD")));
        var agent = Flags(string.Join(' ', JsonArrayInstruction("Dockerfile.agent", "CMD")));

        Assert.Superset(new HashSet<string> { "--listen", "--metrics-listen", "--data-dir" }, controller);
        Assert.Superset(new HashSet<string> { "--work-dir", "--metrics-listen" }, agent);
        var controllerHelp = HelpFlags(await HelpAsync("controller", "run"));
        var agentHelp = HelpFlags(await HelpAsync("agent", "run"));
        Assert.All(controller, flag => Assert.Contains(flag, controllerHelp));
        Assert.All(agent, flag => Assert.Contains(flag, agentHelp));
    }

    [Fact]
    public void ValuesSchema_CoversEveryValue_AndRefusesUnknownKeys()
    {
        var values = LoadYamlMapping(Path.Combine(ChartDirectory, "values.yaml"));
        using var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(ChartDirectory, "values.schema.json")));

        var uncovered = MappingKeys(values, "").Where(key => SchemaFor(schema.RootElement, key.Path) is null).Select(key => key.Path).ToList();

        Assert.Empty(uncovered);
        Assert.False(schema.RootElement.GetProperty("additionalProperties").GetBoolean());
        Assert.False(SchemaFor(schema.RootElement, "controller.web.ingress")!.Value.GetProperty("additionalProperties").GetBoolean());
    }

    [Fact]
    public void DashboardsDirectory_IsShipped_AndEveryDashboardIsJson()
    {
        var dashboards = Path.Combine(ChartDirectory, "dashboards");
        Assert.True(File.Exists(Path.Combine(dashboards, "README.md")));
        Assert.Contains(".Files.Glob \"dashboards/*.json\"", File.ReadAllText(Path.Combine(TemplatesDirectory, "grafana-dashboards.yaml")), StringComparison.Ordinal);

        foreach (var file in Directory.GetFiles(dashboards, "*.json"))
        {
            using var document = JsonDocument.Parse(File.ReadAllText(file));
            Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
        }
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

    /// <summary>The schema of a dotted values path, following properties (a map's free-form entries are not values).</summary>
    private static JsonElement? SchemaFor(JsonElement schema, string path)
    {
        foreach (var segment in path.Split('.'))
        {
            if (schema.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            if (schema.TryGetProperty("properties", out var properties) && properties.TryGetProperty(segment, out var child))
            {
                schema = child;
            }
            else if (schema.TryGetProperty("additionalProperties", out var entries) && entries.ValueKind == JsonValueKind.Object)
            {
                // A free-form map (labels, resources): the rest of the path is the entry's key, which may hold dots.
                return entries;
            }
            else if (schema.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "object"
                     && !schema.TryGetProperty("properties", out _) && !schema.TryGetProperty("additionalProperties", out _))
            {
                return schema;
            }
            else
            {
                return null;
            }
        }

        return schema;
    }

    private static List<string> TemplateFiles() => [.. Directory.GetFiles(TemplatesDirectory).Order(StringComparer.Ordinal)];

    private static YamlMappingNode LoadYamlMapping(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StringReader(File.ReadAllText(path)))
        {
            stream.Load(reader);
        }

        Assert.Single(stream.Documents);
        return Assert.IsType<YamlMappingNode>(stream.Documents[0].RootNode);
    }

    private static string Scalar(YamlMappingNode mapping, string key) =>
        Assert.IsType<YamlScalarNode>(mapping.Children[new YamlScalarNode(key)]).Value ?? "";

    /// <summary>Every key reachable through mappings (the values' tree; list items are data, not values), with its 1-based line.</summary>
    private static IEnumerable<(string Path, int Line)> MappingKeys(YamlMappingNode mapping, string prefix)
    {
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            var key = Assert.IsType<YamlScalarNode>(keyNode).Value!;
            var path = prefix.Length == 0 ? key : $"{prefix}.{key}";
            yield return (path, (int)keyNode.Start.Line);
            if (valueNode is YamlMappingNode child)
            {
                foreach (var nested in MappingKeys(child, path))
                {
                    yield return nested;
                }
            }
        }
    }

    /// <summary>True when the nearest non-blank line above <paramref name="line"/> (1-based) is a comment.</summary>
    private static bool HasCommentAbove(string[] lines, int line)
    {
        for (var index = line - 2; index >= 0; index--)
        {
            var text = lines[index].Trim();
            if (text.Length > 0)
            {
                return text.StartsWith('#');
            }
        }

        return false;
    }

    /// <summary>
    /// Unclosed or nested <c>{{</c>/<c>}}</c>, unclosed comments, and if/with/range/define/block actions without their end.
    /// </summary>
    private static IEnumerable<string> DelimiterProblems(string file)
    {
        var text = File.ReadAllText(file);
        var depth = 0;
        var position = 0;
        while (true)
        {
            var open = text.IndexOf("{{", position, StringComparison.Ordinal);
            var close = text.IndexOf("}}", position, StringComparison.Ordinal);
            if (open < 0)
            {
                if (close >= 0)
                {
                    yield return $"'}}}}' without '{{{{' at line {LineOf(text, close)}";
                }

                break;
            }

            if (close < open)
            {
                yield return $"'}}}}' without '{{{{' at line {LineOf(text, close < 0 ? open : close)}";
                break;
            }

            var nextOpen = text.IndexOf("{{", open + 2, StringComparison.Ordinal);
            if (nextOpen >= 0 && nextOpen < close)
            {
                yield return $"'{{{{' at line {LineOf(text, open)} is not closed before the next '{{{{'";
                break;
            }

            var action = text[(open + 2)..close].Trim().TrimStart('-').TrimEnd('-').Trim();
            if (action.StartsWith("/*", StringComparison.Ordinal) != action.EndsWith("*/", StringComparison.Ordinal))
            {
                yield return $"comment at line {LineOf(text, open)} is not closed inside its action";
            }
            else if (!action.StartsWith("/*", StringComparison.Ordinal))
            {
                var keyword = action.Split([' ', '\t', '\n', '\r'], 2)[0];
                if (keyword is "if" or "with" or "range" or "define" or "block")
                {
                    depth++;
                }
                else if (keyword == "end" && --depth < 0)
                {
                    yield return $"'end' without a block at line {LineOf(text, open)}";
                    break;
                }
            }

            position = close + 2;
        }

        if (depth > 0)
        {
            yield return $"{depth} block(s) without 'end'";
        }
    }

    private static int LineOf(string text, int index) => text.AsSpan(0, index).Count('\n') + 1;

    /// <summary>
    /// The values a template names: <c>.Values.a.b</c>, and <c>$x.c</c> where <c>$x := .Values.a</c> (or another such
    /// variable), as dotted paths under .Values.
    /// </summary>
    private static IEnumerable<string> ValuePaths(string template)
    {
        var aliases = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match declaration in AliasDeclaration().Matches(template))
        {
            var source = declaration.Groups["source"].Value;
            var rest = declaration.Groups["rest"].Value.TrimStart('.');
            var basePath = source == ".Values" ? "" : aliases.GetValueOrDefault(source[1..]);
            if (basePath is not null)
            {
                aliases[declaration.Groups["name"].Value] = basePath.Length == 0 ? rest : $"{basePath}.{rest}";
            }
        }

        foreach (Match reference in ValueReference().Matches(template))
        {
            var source = reference.Groups["source"].Value;
            var rest = reference.Groups["rest"].Value.TrimStart('.');
            if (source == ".Values")
            {
                yield return rest;
            }
            else if (aliases.TryGetValue(source[1..], out var basePath))
            {
                yield return $"{basePath}.{rest}";
            }
        }
    }

    private static bool PathExists(YamlMappingNode values, string path)
    {
        YamlNode node = values;
        foreach (var segment in path.Split('.'))
        {
            if (node is not YamlMappingNode mapping || !mapping.Children.TryGetValue(new YamlScalarNode(segment), out var child))
            {
                return false;
            }

            node = child;
        }

        return true;
    }

    /// <summary>The JSON (exec) form of a Dockerfile instruction, which must occur exactly once.</summary>
    private static string[] JsonArrayInstruction(string dockerfile, string instruction)
    {
        var lines = File.ReadAllLines(Path.Combine(RepositoryRoot, dockerfile))
            .Where(line => line.StartsWith(instruction + " ", StringComparison.Ordinal))
            .ToList();
        var line = Assert.Single(lines);
        return JsonSerializer.Deserialize<string[]>(line[(instruction.Length + 1)..])!;
    }

    private static HashSet<string> Flags(string text) => [.. Flag().Matches(text).Select(match => match.Value)];

    private static HashSet<string> HelpFlags(string help) => [.. Flag().Matches(help).Select(match => match.Value)];

    /// <summary>Runs <c>gridtrain SUBCOMMAND --help</c> from the built CLI next to these tests.</summary>
    private static async Task<string> HelpAsync(params string[] subcommand)
    {
        var startInfo = new ProcessStartInfo(Dotnet.Host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        startInfo.ArgumentList.Add("exec");
        startInfo.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gridtrain.dll"));
        foreach (var word in subcommand)
        {
            startInfo.ArgumentList.Add(word);
        }

        startInfo.ArgumentList.Add("--help");
        using var process = Process.Start(startInfo)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        var output = await stdout;
        Assert.True(process.ExitCode == 0, $"gridtrain {string.Join(' ', subcommand)} --help exited with {process.ExitCode}: {await stderr}");
        Assert.Contains($"gridtrain {string.Join(' ', subcommand)} [options]", output, StringComparison.Ordinal);
        return output;
    }

    [GeneratedRegex(@"\$(?<name>\w+)\s*:=\s*(?<source>\.Values|\$\w+)(?<rest>(?:\.\w+)+)\s*-?}}")]
    private static partial Regex AliasDeclaration();

    [GeneratedRegex(@"(?<![\w.$])(?<source>\.Values|\$\w+)(?<rest>(?:\.\w+)+)")]
    private static partial Regex ValueReference();

    [GeneratedRegex(@"(?<![\w-])--[a-z][a-z0-9-]*")]
    private static partial Regex Flag();
}
