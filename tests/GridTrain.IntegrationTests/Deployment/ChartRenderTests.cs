using System.Text.RegularExpressions;
using GridTrain.Agent.Metrics;
using GridTrain.Controller.Metrics;
using YamlDotNet.RepresentationModel;
using static GridTrain.IntegrationTests.Deployment.Manifest;

namespace GridTrain.IntegrationTests.Deployment;

/// <summary>
/// The chart as CI renders it (<see cref="HelmRender"/>): every scenario in helm/gridtrain/ci renders clean, every
/// bad combination is refused with a message naming the value to set, and the rendered objects do what the values
/// say: TLS, mutual TLS, the console, NetworkPolicies, one scrape path, extension points, secret file modes.
/// </summary>
public sealed partial class ChartRenderTests(HelmRender chart) : IClassFixture<HelmRender>
{
    private static readonly string CiDirectory = Path.Combine(HelmRender.ChartDirectory, "ci");

    /// <summary>Each bad values file, the value its schema refusal names, and what the template guard says without the schema.</summary>
    public static TheoryData<string, string, string?> BadCombinations => new()
    {
        { "bad-mtls-without-tls", "tls/secretName", "tls.mutualTls needs tls.secretName" },
        { "bad-mtls-without-ca", "tls/caSecretName", "tls.mutualTls needs tls.caSecretName" },
        { "bad-mtls-without-agent-cert", "tls/agentCertSecretName", "tls.mutualTls needs tls.agentCertSecretName" },
        { "bad-gdrive-without-folder", "agent/checkpoints/drive/rootFolderId", "needs agent.checkpoints.drive.rootFolderId" },
        { "bad-postgres-without-secret", "controller/postgres/existingSecret", "needs controller.postgres.existingSecret" },
        { "bad-replicas-without-postgres", "controller/postgres", "controller.replicas > 1 needs controller.postgres.enabled" },
        { "bad-workdir-type", "agent/workDir/type", "agent.workDir.type must be emptyDir, hostPath or persistentVolumeClaim, not nfs" },
        { "bad-shared-workdir-without-claim", "agent/workDir/persistentVolumeClaim/claimName", "needs agent.workDir.persistentVolumeClaim.claimName" },
        { "bad-two-scrape-paths", "prometheusScrapeAnnotations", "set prometheusScrapeAnnotations to false" },
        { "bad-ingress-without-console", "controller/web/enabled", "needs controller.web.enabled" },
        { "bad-checkpoint-store", "agent/checkpoints/store", "agent.checkpoints.store must be local or gdrive, not s3" },
        { "bad-unknown-value", "'extraArg' was unexpected", null },
    };

    [Fact]
    public void RunSh_RendersEveryScenarioClean_AndRefusesEveryBadOne()
    {
        var lines = chart.Report.Split('\n');
        var scenarios = Directory.GetFiles(CiDirectory, "*.yaml").Select(f => Path.GetFileNameWithoutExtension(f)!).Order(StringComparer.Ordinal).ToList();

        Assert.True(chart.ExitCode == 0, $"run.sh exited {chart.ExitCode}:\n{chart.Report}");
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^default: \d+ documents, 0 errors"));
        Assert.Contains("dashboards: promtool SUCCESS", chart.Report, StringComparison.Ordinal);
        Assert.True(scenarios.Count(s => !s.StartsWith("bad-", StringComparison.Ordinal)) >= 12, string.Join(", ", scenarios));
        Assert.All(scenarios, scenario => Assert.Contains(lines, l => l.StartsWith(scenario + (scenario.StartsWith("bad-", StringComparison.Ordinal) ? ": refused: " : ": "), StringComparison.Ordinal)
            && (scenario.StartsWith("bad-", StringComparison.Ordinal) || Regex.IsMatch(l, @": \d+ documents, 0 errors"))));
        Assert.Equal(BadCombinations.Select(row => (string)row[0]).Order(StringComparer.Ordinal), scenarios.Where(s => s.StartsWith("bad-", StringComparison.Ordinal)));
    }

    [Theory]
    [MemberData(nameof(BadCombinations))]
    public async Task BadCombination_IsRefusedBySchema_AndByTheTemplatesAlone(string scenario, string schemaNames, string? guardSays)
    {
        var refusal = Assert.Single(chart.Report.Split('\n'), l => l.StartsWith(scenario + ": refused: ", StringComparison.Ordinal));
        Assert.Contains("values.schema.json", refusal, StringComparison.Ordinal);
        Assert.Contains(schemaNames, refusal, StringComparison.Ordinal);

        var (exitCode, output) = await chart.RenderWithoutSchemaAsync(Path.Combine(CiDirectory, scenario + ".yaml"));
        if (guardSays is null)
        {
            Assert.Equal(0, exitCode);
        }
        else
        {
            Assert.NotEqual(0, exitCode);
            Assert.Contains(guardSays, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task RenderedManifests_ValidateAgainstTheKubernetesApiSchemas()
    {
        var rendered = Directory.GetFiles(chart.OutputDirectory, "*.yaml").Where(f => !Path.GetFileName(f).StartsWith("bad-", StringComparison.Ordinal)).ToList();
        Assert.True(rendered.Count >= 13, string.Join(", ", rendered));

        var (exitCode, output) = await chart.RunAsync("/usr/bin/python3", [Path.Combine(AppContext.BaseDirectory, "Deployment", "kube_schema_check.py"), .. rendered]);

        Assert.True(exitCode == 0, output);
        Assert.Matches(@"\d+ objects validated, 0 errors; not validated \(no model\): monitoring.coreos.com/v1 PodMonitor, monitoring.coreos.com/v1 ServiceMonitor", output);
    }

    [Fact]
    public void Default_GeneratesTheJoinTokenSecret_ThatControllerAndAgentsRead()
    {
        var secret = Assert.Single(chart.Objects("default"), o => Text(o, "kind") == "Secret");
        var name = Text(secret, "metadata.name");
        var token = Text(secret, "data.join-token");
        Assert.Equal("gridtrain-join-token", name);
        Assert.Equal(48, Convert.FromBase64String(token).Length);

        foreach (var kind in new[] { "Deployment", "DaemonSet" })
        {
            var variable = Assert.Single(Mappings(Container(chart.Single("default", kind)), "env"), e => Text(e, "name") == "GRIDTRAIN_JOIN_TOKEN");
            Assert.Equal(name, Text(variable, "valueFrom.secretKeyRef.name"));
            Assert.Equal("join-token", Text(variable, "valueFrom.secretKeyRef.key"));
        }

        Assert.DoesNotContain(chart.Objects("mtls-values"), o => Text(o, "kind") == "Secret");
    }

    [Fact]
    public void Agents_AreNamedAfterTheirNode_ByDefault()
    {
        var name = Assert.Single(Mappings(Container(chart.Single("default", "DaemonSet")), "env"), e => Text(e, "name") == "GRIDTRAIN_AGENT_NAME");
        Assert.Equal("spec.nodeName", Text(name, "valueFrom.fieldRef.fieldPath"));
        Assert.Equal(["--name", "$(GRIDTRAIN_AGENT_NAME)"], Args(chart.Single("default", "DaemonSet")).SkipWhile(a => a != "--name").Take(2));
    }

    [Fact]
    public void GrpcPort_IsH2cWithoutTls_AndHasNoAppProtocolWithTls()
    {
        static YamlMappingNode Grpc(YamlNode service) => Assert.Single(Mappings(service, "spec.ports"), p => Text(p, "name") == "grpc");

        Assert.Equal("kubernetes.io/h2c", Text(Grpc(chart.Single("default", "Service")), "appProtocol"));
        Assert.Null(Find(Grpc(chart.Single("tls-values", "Service")), "appProtocol"));
        Assert.Null(Find(Grpc(chart.Single("mtls-values", "Service")), "appProtocol"));
    }

    [Fact]
    public void MutualTls_PassesEveryCertificate_AndMountsSecretsReadOnlyAt0400()
    {
        var controller = chart.Single("mtls-values", "Deployment");
        var agent = chart.Single("mtls-values", "DaemonSet");

        Assert.Superset(new HashSet<string> { "--tls-cert", "--tls-key", "--agent-ca" }, Args(controller).ToHashSet());
        Assert.Superset(new HashSet<string> { "--ca-file", "--client-cert", "--client-key" }, Args(agent).ToHashSet());
        Assert.StartsWith("https://", Args(agent)[Args(agent).IndexOf("--controller") + 1], StringComparison.Ordinal);
        var secretVolumes = Mappings(controller, "spec.template.spec.volumes").Concat(Mappings(agent, "spec.template.spec.volumes")).Where(v => Find(v, "secret") is not null).ToList();
        Assert.Equal(4, secretVolumes.Count);
        // YAML 1.1 octal, as Kubernetes reads it: 0400.
        Assert.All(secretVolumes, v => Assert.Equal("0400", Text(v, "secret.defaultMode")));
        Assert.All(
            Mappings(Container(controller), "volumeMounts").Concat(Mappings(Container(agent), "volumeMounts")).Where(m => Text(m, "mountPath").StartsWith("/etc/gridtrain/", StringComparison.Ordinal)),
            m => Assert.Equal("true", Text(m, "readOnly")));
    }

    [Fact]
    public void Probes_AskForHealthPathsTheProcessesServe_OnTheMetricsPort()
    {
        foreach (var kind in new[] { "Deployment", "DaemonSet" })
        {
            var container = Container(chart.Single("tls-values", kind));
            Assert.Contains(Mappings(container, "ports"), p => Text(p, "name") == "metrics");
            Assert.Equal(ControllerMetricsExtensions.LivenessPath, Text(container, "livenessProbe.httpGet.path"));
            Assert.Equal(ControllerMetricsExtensions.ReadinessPath, Text(container, "readinessProbe.httpGet.path"));
            Assert.Equal(AgentTelemetryServer.LivenessPath, Text(container, "livenessProbe.httpGet.path"));
            Assert.Equal(AgentTelemetryServer.ReadinessPath, Text(container, "readinessProbe.httpGet.path"));
            Assert.All(new[] { "livenessProbe", "readinessProbe" }, probe => Assert.Equal("metrics", Text(container, $"{probe}.httpGet.port")));
        }
    }
}
