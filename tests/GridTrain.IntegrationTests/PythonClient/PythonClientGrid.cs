using System.Diagnostics;
using System.Xml.Linq;
using GridTrain.IntegrationTests.Infrastructure;

namespace GridTrain.IntegrationTests.PythonClient;

/// <summary>
/// A real controller and agent (the built CLI in their own processes), the Python client installed from
/// clients/python with pip into a virtual environment (which generates its gRPC modules from protos/), and one
/// run of the client's pytest suite against that grid. Tests read the run's outcomes.
/// </summary>
public sealed class PythonClientGrid : IAsyncLifetime
{
    private static readonly TimeSpan s_hangBound = TimeSpan.FromMinutes(15); // a bound on hangs only; CI machines are slow and shared

    private readonly string _root = Directory.CreateTempSubdirectory("gridtrain-python-").FullName;
    private ControllerProcess? _controller;
    private AgentProcess? _agent;

    /// <summary>pytest's JUnit report of the run.</summary>
    public XDocument Report { get; private set; } = new();

    /// <summary>What pytest printed, for failure messages.</summary>
    public string Output { get; private set; } = "";

    /// <summary>Files the suite leaves for the .NET side (the trained TorchScript module, inputs, PyTorch's outputs).</summary>
    public string Artifacts => Path.Combine(_root, "artifacts");

    public async Task InitializeAsync()
    {
        _controller = await ControllerProcess.StartAsync(Path.Combine(_root, "controller"));
        _agent = AgentProcess.Start(_controller.Address, "py-agent", Path.Combine(_root, "agent"), cpuSlots: 2);
        await _agent.WaitForLineAsync("registered as", GridEvents.Timeout);

        var venv = Path.Combine(_root, "venv");
        await RunAsync("/usr/bin/python3", ["-m", "venv", "--system-site-packages", venv], "create a virtual environment (python3-venv installed?)");
        var python = Path.Combine(venv, "bin", "python");
        await RunAsync(python, ["-m", "pip", "install", "--quiet", "--no-build-isolation", "--no-deps", "--no-index", PytestSuite.ClientDirectory], "pip install clients/python");

        var report = Path.Combine(_root, "pytest.xml");
        var (_, output) = await RunAsync(
            python,
            ["-m", "pytest", PytestSuite.TestsDirectory, "-p", "no:cacheprovider", "-rA", "--junitxml", report],
            description: null,
            new Dictionary<string, string>
            {
                ["GRIDTRAIN_TEST_CONTROLLER"] = _controller.Address.ToString().TrimEnd('/'),
                ["GRIDTRAIN_TEST_ADMIN_TOKEN"] = TestCredentials.AdminToken,
                ["GRIDTRAIN_TEST_ARTIFACTS"] = Artifacts,
                ["GRIDTRAIN_DLL"] = Path.Combine(AppContext.BaseDirectory, "gridtrain.dll"),
                ["DOTNET_HOST_PATH"] = Dotnet.Host,
            });
        Output = output;
        Report = File.Exists(report) ? XDocument.Load(report) : throw new InvalidOperationException($"pytest wrote no report:\n{output}");
    }

    public async Task DisposeAsync()
    {
        if (_agent is not null)
        {
            await _agent.DisposeAsync();
        }

        if (_controller is not null)
        {
            await _controller.DisposeAsync();
        }

        Directory.Delete(_root, recursive: true);
    }

    /// <summary>Runs a program to its end; with a <paramref name="description"/>, a non-zero exit fails with its output.</summary>
    private static async Task<(int ExitCode, string Output)> RunAsync(string program, IEnumerable<string> arguments, string? description, IReadOnlyDictionary<string, string>? environment = null)
    {
        var startInfo = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = PytestSuite.ClientDirectory };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(s_hangBound);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', startInfo.ArgumentList)} did not finish within {s_hangBound}:\n{await output}\n{await errors}");
        }

        var text = (await output) + (await errors);
        if (description is not null && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"could not {description} (exit code {process.ExitCode}):\n{text}");
        }

        return (process.ExitCode, text);
    }
}
