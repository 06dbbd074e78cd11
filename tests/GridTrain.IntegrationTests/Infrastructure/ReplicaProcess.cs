using System.Diagnostics;
using System.Threading.Channels;

namespace GridTrain.IntegrationTests.Infrastructure;

/// <summary>
/// A controller replica on PostgreSQL: the built <c>gridtrain controller run --postgres</c> in its own process, with
/// its output readable line by line; it can be killed (SIGKILL), paused (SIGSTOP) and resumed (SIGCONT).
/// </summary>
public sealed class ReplicaProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly Channel<string> _incoming = Channel.CreateUnbounded<string>();
    private readonly Task[] _pumps;

    private ReplicaProcess(Process process, string name)
    {
        _process = process;
        Name = name;
        _pumps = [PumpAsync(process.StandardOutput), PumpAsync(process.StandardError)];
    }

    public string Name { get; }

    public int ProcessId => _process.Id;

    /// <summary>Its gRPC address, from the <c>listening on</c> line.</summary>
    public Uri Address { get; private set; } = new("http://127.0.0.1");

    /// <summary>Its /metrics, /livez and /readyz address.</summary>
    public Uri Metrics { get; private set; } = new("http://127.0.0.1");

    /// <summary>Its web console and HTTP/JSON API address.</summary>
    public Uri Web { get; private set; } = new("http://127.0.0.1");

    public bool HasExited => _process.HasExited;

    /// <summary>Starts a replica on free ports and waits until it listens (as a standby or already leading).</summary>
    public static async Task<ReplicaProcess> StartAsync(string name, string dataDirectory, string postgres, string leaderLease = "6s", string agentTimeout = "3s")
    {
        var startInfo = new ProcessStartInfo(Dotnet.Host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[]
                 {
                     "exec", Path.Combine(AppContext.BaseDirectory, "gridtrain.dll"), "controller", "run",
                     "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--web-listen", "127.0.0.1:0", "--data-dir", dataDirectory, "--postgres", postgres,
                     "--leader-lease", leaderLease, "--heartbeat-interval", "500ms", "--agent-timeout", agentTimeout,
                 })
        {
            startInfo.ArgumentList.Add(arg);
        }

        startInfo.Environment["Logging__Console__FormatterName"] = "simple";
        var replica = new ReplicaProcess(Process.Start(startInfo)!, name);
        var listening = await replica.WaitForLineAsync("listening on ", TimeSpan.FromSeconds(60));
        var metrics = await replica.WaitForLineAsync("metrics on ", TimeSpan.FromSeconds(60));
        var web = await replica.WaitForLineAsync("web console on ", TimeSpan.FromSeconds(60));
        replica.Web = new Uri(web[(web.IndexOf("web console on ", StringComparison.Ordinal) + "web console on ".Length)..].Trim());
        replica.Address = new Uri(listening[(listening.IndexOf("listening on ", StringComparison.Ordinal) + "listening on ".Length)..].Trim());
        var metricsUrl = metrics[(metrics.IndexOf("metrics on ", StringComparison.Ordinal) + "metrics on ".Length)..].Trim();
        replica.Metrics = new Uri(metricsUrl[..^"/metrics".Length]);
        return replica;
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

        throw new TimeoutException($"replica {Name} printed no line with '{text}' within {timeout}; its output:\n{Output()}");
    }

    public string Output()
    {
        lock (_lines)
        {
            return string.Join('\n', _lines.TakeLast(80));
        }
    }

    /// <summary>SIGKILL: no shutdown, no lease release.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGSTOP: the process freezes with its connections open.</summary>
    public Task PauseAsync() => SignalAsync("STOP");

    /// <summary>SIGCONT: the paused process runs on, unaware of the time that passed.</summary>
    public Task ResumeAsync() => SignalAsync("CONT");

    /// <summary>Waits for the process to exit and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        await Task.WhenAll(_pumps);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await ResumeAsync();
            _process.Kill();
        }

        await _process.WaitForExitAsync();
        await Task.WhenAll(_pumps);
        _process.Dispose();
    }

    private async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    private async Task PumpAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_lines)
            {
                _lines.Add(line);
            }

            await _incoming.Writer.WriteAsync(line);
        }
    }
}
