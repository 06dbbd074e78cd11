using System.Diagnostics;
using System.Threading.Channels;

namespace GridTrain.IntegrationTests.Infrastructure;

/// <summary>A real agent: the built <c>gridtrain agent run</c> in its own process, with its output readable line by line.</summary>
public sealed class AgentProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly Channel<string> _incoming = Channel.CreateUnbounded<string>();

    private AgentProcess(Process process, string name, string workDirectory)
    {
        _process = process;
        Name = name;
        WorkDirectory = workDirectory;
    }

    public string Name { get; }

    public string WorkDirectory { get; }

    public int ProcessId => _process.Id;

    /// <summary>Starts an agent; with <paramref name="metrics"/> it also serves /metrics on a free port (see <see cref="WaitForMetricsAsync"/>).</summary>
    /// <param name="controller">The controller's address.</param>
    /// <param name="name">Agent name.</param>
    /// <param name="workDirectory">The agent's work directory.</param>
    /// <param name="cpuSlots">CPU sessions it accepts.</param>
    /// <param name="extraArguments">More <c>agent run</c> arguments (TLS files, a join token file...).</param>
    /// <param name="metrics">Whether to serve /metrics.</param>
    /// <remarks>The join token comes from the environment (<see cref="TestCredentials.JoinToken"/>) unless the arguments name one.</remarks>
    /// <param name="environment">Variables to set (or, with a null value, remove) in the agent's environment.</param>
    /// <param name="otherControllers">Further controller replicas (<c>--controller A,B</c>).</param>
    public static AgentProcess Start(
        Uri controller,
        string name,
        string workDirectory,
        int cpuSlots = 1,
        IEnumerable<string>? extraArguments = null,
        bool metrics = false,
        IReadOnlyDictionary<string, string?>? environment = null,
        IReadOnlyList<Uri>? otherControllers = null)
    {
        var startInfo = new ProcessStartInfo(Dotnet.Host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "exec", Path.Combine(AppContext.BaseDirectory, "gridtrain.dll"), "agent", "run",
                     "--controller", string.Join(',', new[] { controller }.Concat(otherControllers ?? [])), "--name", name, "--work-dir", workDirectory,
                     "--cpu-slots", cpuSlots.ToString(System.Globalization.CultureInfo.InvariantCulture), "--threads-per-job", "1",
                 }.Concat(extraArguments ?? []))
        {
            startInfo.ArgumentList.Add(arg);
        }

        if (metrics)
        {
            startInfo.ArgumentList.Add("--metrics-listen");
            startInfo.ArgumentList.Add("127.0.0.1:0");
        }

        startInfo.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (variable, value) in environment ?? new Dictionary<string, string?>())
        {
            startInfo.Environment[variable] = value;
        }

        var process = Process.Start(startInfo)!;
        var agent = new AgentProcess(process, name, workDirectory);
        _ = agent.PumpAsync(process.StandardOutput);
        _ = agent.PumpAsync(process.StandardError);
        return agent;
    }

    /// <summary>Waits for an output line containing <paramref name="text"/> (already printed or still to come).</summary>
    public async Task<string> WaitForLineAsync(string text, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        lock (_lines)
        {
            if (_lines.FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal)) is { } seen)
            {
                return seen;
            }
        }

        try
        {
            await foreach (var line in _incoming.Reader.ReadAllAsync(cts.Token))
            {
                if (line.Contains(text, StringComparison.Ordinal))
                {
                    return line;
                }
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
        }

        throw new TimeoutException($"agent {Name} printed no line with '{text}' within {timeout}; its output:\n{Output()}");
    }

    /// <summary>The agent's <c>/metrics</c> URL, from the line it prints once it serves it.</summary>
    public async Task<Uri> WaitForMetricsAsync(TimeSpan timeout)
    {
        const string prefix = "metrics on ";
        var line = await WaitForLineAsync(prefix, timeout);
        return new Uri(line[(line.IndexOf(prefix, StringComparison.Ordinal) + prefix.Length)..].Trim());
    }

    public string Output()
    {
        lock (_lines)
        {
            return string.Join('\n', _lines.TakeLast(60));
        }
    }

    /// <summary>SIGKILL to the agent alone: its job processes are left to notice on their own.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private async Task PumpAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_lines)
            {
                _lines.Add(line);
            }

            _incoming.Writer.TryWrite(line);
        }
    }
}
