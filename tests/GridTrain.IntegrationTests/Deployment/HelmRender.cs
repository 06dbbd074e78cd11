using System.Diagnostics;
using GridTrain.IntegrationTests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace GridTrain.IntegrationTests.Deployment;

/// <summary>
/// The chart rendered the way CI renders it: <c>../shared/tools/helmrender/run.sh helm/gridtrain</c> (Go
/// <c>text/template</c> with sprig and Helm's functions, the stand-in for <c>helm template</c> on machines without
/// helm), once for the default values and once per <c>ci/*.yaml</c> file, each checked, and every <c>ci/bad-*.yaml</c>
/// refused by values.schema.json or a template guard. Missing tools fail the tests, naming the Debian packages.
/// </summary>
public sealed class HelmRender : IAsyncLifetime
{
    /// <summary>The Debian packages helmrender and the manifest checks need (./test.sh installs them).</summary>
    public const string Packages = "golang-go golang-github-masterminds-sprig-dev python3-yaml python3-jsonschema python3-kubernetes prometheus";

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    private readonly string _root = Directory.CreateTempSubdirectory("gridtrain-helmrender-").FullName;

    public static string ChartDirectory { get; } = Path.Combine(RepositoryRoot.Path, "helm", "gridtrain");

    /// <summary>The helmrender tool, in the shared/ folder beside the checkout.</summary>
    public static string ToolDirectory { get; } = Path.GetFullPath(Path.Combine(RepositoryRoot.Path, "..", "shared", "tools", "helmrender"));

    /// <summary>Where run.sh wrote <c>NAME.yaml</c> (manifests) and <c>NAME.notes.txt</c> (NOTES.txt, or the refusal).</summary>
    public string OutputDirectory => Path.Combine(_root, "out");

    /// <summary>Everything run.sh printed: a line per scenario ("NAME: N documents, 0 errors, ..." or "NAME: refused: ...").</summary>
    public string Report { get; private set; } = "";

    public int ExitCode { get; private set; }

    private string Binary => Path.Combine(_root, "build", "helmrender");

    public async Task InitializeAsync()
    {
        var missing = MissingPrerequisites().ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"the chart tests need {string.Join(", ", missing)}: run ./test.sh (it installs them as root), or apt-get install -y {Packages}");
        }

        var (exitCode, output) = await RunAsync("/bin/bash", [Path.Combine(ToolDirectory, "run.sh"), ChartDirectory, OutputDirectory]);
        ExitCode = exitCode;
        Report = output;
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_root, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>The objects rendered for a scenario: "default" or the name of a ci/ values file without .yaml.</summary>
    public IReadOnlyList<YamlMappingNode> Objects(string scenario)
    {
        var path = Path.Combine(OutputDirectory, scenario + ".yaml");
        Assert.True(File.Exists(path), $"run.sh rendered no {scenario}.yaml; its report:\n{Report}");
        var stream = new YamlStream();
        using (var reader = new StringReader(File.ReadAllText(path)))
        {
            stream.Load(reader);
        }

        return [.. stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>()];
    }

    /// <summary>The one object of <paramref name="kind"/> a scenario renders.</summary>
    public YamlMappingNode Single(string scenario, string kind) => Assert.Single(Objects(scenario), o => Manifest.Text(o, "kind") == kind);

    /// <summary>NOTES.txt as rendered for a scenario.</summary>
    public string Notes(string scenario) => File.ReadAllText(Path.Combine(OutputDirectory, scenario + ".notes.txt"));

    /// <summary>Renders with the template guards alone (no schema, like helm template --skip-schema-validation).</summary>
    public Task<(int ExitCode, string Output)> RenderWithoutSchemaAsync(string valuesFile) =>
        RunAsync(Binary, ["-f", valuesFile, ChartDirectory]);

    /// <summary>Runs a command with this fixture's helmrender build folder; returns its exit code and output.</summary>
    public async Task<(int ExitCode, string Output)> RunAsync(string program, IEnumerable<string> arguments)
    {
        var startInfo = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment["HELMRENDER_BUILD"] = Path.Combine(_root, "build");
        startInfo.Environment["TMPDIR"] = _root;
        using var process = Process.Start(startInfo)!;
        using var timeout = new CancellationTokenSource(Timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', startInfo.ArgumentList)} ran over {Timeout}");
        }

        return (process.ExitCode, (await stdout) + (await stderr));
    }

    private static IEnumerable<string> MissingPrerequisites()
    {
        if (!Directory.Exists(ToolDirectory))
        {
            yield return $"the helmrender tool at {ToolDirectory} (shared/ beside the checkout)";
        }

        if (!OnPath("go"))
        {
            yield return "Go (golang-go)";
        }

        if (!Directory.Exists("/usr/share/gocode/src/github.com/Masterminds/sprig"))
        {
            yield return "sprig (golang-github-masterminds-sprig-dev)";
        }

        if (!OnPath("promtool"))
        {
            yield return "promtool (prometheus)";
        }

        foreach (var (module, package) in new[] { ("yaml", "python3-yaml"), ("jsonschema", "python3-jsonschema"), ("kubernetes", "python3-kubernetes") })
        {
            if (!PythonHas(module))
            {
                yield return $"Python's {module} ({package})";
            }
        }
    }

    private static bool OnPath(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(directory => File.Exists(Path.Combine(directory, command)));

    private static bool PythonHas(string module)
    {
        using var process = Process.Start(new ProcessStartInfo("/usr/bin/python3", ["-c", $"import {module}"]) { RedirectStandardError = true, UseShellExecute = false })!;
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0;
    }
}
