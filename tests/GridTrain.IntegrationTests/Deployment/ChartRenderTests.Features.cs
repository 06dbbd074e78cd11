using System.Diagnostics;
using System.Text.RegularExpressions;
using GridTrain.IntegrationTests.Infrastructure;
using YamlDotNet.RepresentationModel;
using static GridTrain.IntegrationTests.Deployment.Manifest;

namespace GridTrain.IntegrationTests.Deployment;

public sealed partial class ChartRenderTests
{
    [Fact]
    public void Console_HasAContainerPortAServicePortAndAnIngress_AndTheControllerServesIt()
    {
        var controller = chart.Single("console-values", "Deployment");
        var args = Args(controller);
        Assert.Equal("0.0.0.0:8080", args[args.IndexOf("--web-listen") + 1]);
        Assert.Contains(Mappings(Container(controller), "ports"), p => Text(p, "name") == "web" && Text(p, "containerPort") == "8080");
        Assert.Contains(Mappings(chart.Single("console-values", "Service"), "spec.ports"), p => Text(p, "name") == "web" && Text(p, "targetPort") == "web");

        var ingress = chart.Single("console-values", "Ingress");
        var rule = Assert.Single(Mappings(ingress, "spec.rules"));
        Assert.Equal("gridtrain.example.com", Text(rule, "host"));
        var backend = Assert.Single(Mappings(rule, "http.paths"));
        Assert.Equal("web", Text(backend, "backend.service.port.name"));
        Assert.Equal(Text(chart.Single("console-values", "Service"), "metadata.name"), Text(backend, "backend.service.name"));
        Assert.Equal("nginx", Text(ingress, "spec.ingressClassName"));

        Assert.DoesNotContain("--web-listen", Args(chart.Single("default", "Deployment")));
        Assert.DoesNotContain(Mappings(chart.Single("default", "Service"), "spec.ports"), p => Text(p, "name") == "web");
    }

    [Fact]
    public void NetworkPolicies_AdmitAgentsToTheApi_ConfiguredPeersToTheConsole_AndMonitoringToMetrics()
    {
        var policies = chart.Objects("console-values").Where(o => Text(o, "kind") == "NetworkPolicy").ToDictionary(o => Text(o, "spec.podSelector.matchLabels.app.kubernetes.io/component"));
        var controller = Mappings(policies["controller"], "spec.ingress").ToList();

        var api = Assert.Single(controller, r => Ports(r).SequenceEqual(["grpc"]));
        Assert.Equal("agent", Text(Assert.Single(Mappings(api, "from")), "podSelector.matchLabels.app.kubernetes.io/component"));
        var web = Assert.Single(controller, r => Ports(r).SequenceEqual(["web"]));
        Assert.Equal("ingress-nginx", Text(Assert.Single(Mappings(web, "from")), "namespaceSelector.matchLabels.kubernetes.io/metadata.name"));
        foreach (var policy in policies.Values)
        {
            var metrics = Assert.Single(Mappings(policy, "spec.ingress"), r => Ports(r).SequenceEqual(["metrics"]));
            Assert.Equal("monitoring", Text(Assert.Single(Mappings(metrics, "from")), "namespaceSelector.matchLabels.kubernetes.io/metadata.name"));
            Assert.Equal(["Ingress"], Sequence(policy, "spec.policyTypes").Select(t => ((YamlScalarNode)t).Value));
        }

        var apiWithUsers = Assert.Single(Mappings(chart.Objects("networkpolicy-values").First(o => Text(o, "kind") == "NetworkPolicy"), "spec.ingress"), r => Ports(r).SequenceEqual(["grpc"]));
        Assert.Equal(2, Mappings(apiWithUsers, "from").Count());
        Assert.DoesNotContain(chart.Objects("default"), o => Text(o, "kind") == "NetworkPolicy");
    }

    [Fact]
    public void OneScrapePath_MonitorsWithoutAnnotations_OrAnnotationsWithoutMonitors()
    {
        static bool Annotated(YamlNode workload) => Text(workload, "spec.template.metadata.annotations.prometheus.io/scrape") == "true";

        var monitoring = chart.Objects("monitoring-values");
        Assert.Contains(monitoring, o => Text(o, "kind") == "ServiceMonitor");
        Assert.Contains(monitoring, o => Text(o, "kind") == "PodMonitor");
        Assert.DoesNotContain(monitoring.Where(o => Text(o, "kind") is "Deployment" or "DaemonSet"), Annotated);
        var endpoint = Assert.Single(Mappings(Assert.Single(monitoring, o => Text(o, "kind") == "ServiceMonitor"), "spec.endpoints"));
        Assert.Equal("metrics", Text(endpoint, "port"));

        var annotated = chart.Objects("scrape-annotations-values");
        Assert.DoesNotContain(annotated, o => Text(o, "kind") is "ServiceMonitor" or "PodMonitor");
        Assert.All(annotated.Where(o => Text(o, "kind") is "Deployment" or "DaemonSet"), w => Assert.True(Annotated(w)));
    }

    [Fact]
    public void ExtensionPoints_ReachBothComponents_AndCommonLabelsReachPods()
    {
        foreach (var kind in new[] { "Deployment", "DaemonSet" })
        {
            var workload = chart.Single("extras-values", kind);
            var container = Container(workload);
            Assert.Contains(Mappings(workload, "spec.template.spec.volumes"), v => Text(v, "name") == "datasets" && Text(v, "persistentVolumeClaim.claimName") == "datasets");
            Assert.Contains(Mappings(container, "volumeMounts"), m => Text(m, "name") == "datasets" && Text(m, "mountPath") == "/datasets");
            Assert.Contains(Mappings(container, "env"), e => Text(e, "name").StartsWith("GRIDTRAIN_", StringComparison.Ordinal) && Text(e, "value") is "100" or "1");
            Assert.Equal("ml", Labels(workload, "spec.template.metadata.labels")["team"]);
            Assert.False(Labels(workload, "spec.selector.matchLabels").ContainsKey("team"), "commonLabels must stay out of selectors");
        }

        var controllerArgs = Args(chart.Single("extras-values", "Deployment"));
        Assert.Equal(["--preemption", "--dataset-root", "/datasets"], controllerArgs.TakeLast(3));
    }

    /// <summary>Every flag any scenario passes, the chart's own and those its ci/ files put in extraArgs, is one the CLI has.</summary>
    [Fact]
    public async Task EveryRenderedFlag_ExistsInTheCli()
    {
        var flags = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal) { ["controller"] = [], ["agent"] = [] };
        foreach (var file in Directory.GetFiles(chart.OutputDirectory, "*.yaml").Where(f => !Path.GetFileName(f).StartsWith("bad-", StringComparison.Ordinal)))
        {
            foreach (var workload in chart.Objects(Path.GetFileNameWithoutExtension(file)).Where(o => Text(o, "kind") is "Deployment" or "DaemonSet"))
            {
                flags[Text(workload, "kind") == "Deployment" ? "controller" : "agent"].UnionWith(Args(workload).Where(a => a.StartsWith("--", StringComparison.Ordinal)));
            }
        }

        Assert.Superset(new HashSet<string> { "--listen", "--metrics-listen", "--data-dir", "--tls-cert", "--agent-ca", "--web-listen", "--preemption" }, flags["controller"]);
        Assert.Superset(new HashSet<string> { "--controller", "--name", "--work-dir", "--ca-file", "--client-cert" }, flags["agent"]);
        foreach (var (component, used) in flags)
        {
            var help = await HelpAsync(component);
            Assert.All(used, flag => Assert.True(Regex.IsMatch(help, $@"(?<![\w-]){Regex.Escape(flag)}(?![\w-])"), $"gridtrain {component} run has no {flag}"));
        }
    }

    [Fact]
    public void Notes_SayWhatIsSecured_AndNothingStale()
    {
        var plain = chart.Notes("default");
        var secured = chart.Notes("mtls-values");
        var console = chart.Notes("console-values");

        Assert.Contains("Secret \"gridtrain-join-token\", generated", plain, StringComparison.Ordinal);
        Assert.Contains("set tls.secretName before exposing it", plain, StringComparison.Ordinal);
        Assert.Contains("agents must present client certificates (mutual TLS)", secured, StringComparison.Ordinal);
        Assert.Contains("Web console", console, StringComparison.Ordinal);
        Assert.Contains("NetworkPolicies admit only the agents", console, StringComparison.Ordinal);
        Assert.All(new[] { plain, secured, console }, notes => Assert.DoesNotContain("no authentication", notes, StringComparison.OrdinalIgnoreCase));
    }

    private static IEnumerable<string> Ports(YamlNode rule) => Mappings(rule, "ports").Select(p => Text(p, "port"));

    private static async Task<string> HelpAsync(string component)
    {
        var startInfo = new ProcessStartInfo(Dotnet.Host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "exec", Path.Combine(AppContext.BaseDirectory, "gridtrain.dll"), component, "run", "--help" })
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"gridtrain {component} run --help exited with {process.ExitCode}: {await stderr}");
        return await stdout;
    }
}
