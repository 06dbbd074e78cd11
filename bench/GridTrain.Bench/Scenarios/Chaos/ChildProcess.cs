using System.Diagnostics;

namespace GridTrain.Bench.Scenarios.Chaos;

/// <summary>
/// A process the soak started (a controller, an agent): its output goes to a log file and can be awaited line by
/// line. Disposing kills what is left of it and awaits its output pumps.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly List<string> _lines = [];
    private readonly Task[] _pumps;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChildProcess(string name, Process process, string logPath)
    {
        Name = name;
        _process = process;
        LogPath = logPath;
        _log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        _pumps = [PumpAsync(process.StandardOutput), PumpAsync(process.StandardError)];
    }

    public string Name { get; }

    public string LogPath { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <c>dotnet exec gridtrain.dll ARGS</c> with extra environment variables.</summary>
    public static ChildProcess StartCli(string name, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment, string logPath)
    {
        var startInfo = new ProcessStartInfo(DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        startInfo.ArgumentList.Add("exec");
        startInfo.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gridtrain.dll"));
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            startInfo.Environment[key] = value;
        }

        startInfo.Environment["Logging__Console__FormatterName"] = "simple";
        return new ChildProcess(name, Process.Start(startInfo)!, logPath);
    }

    /// <summary>Waits for an output line containing <paramref name="text"/>, printed already or still to come.</summary>
    public async Task<string> WaitForLineAsync(string text, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        var seen = 0;
        while (true)
        {
            Task changed;
            lock (_lines)
            {
                for (; seen < _lines.Count; seen++)
                {
                    if (_lines[seen].Contains(text, StringComparison.Ordinal))
                    {
                        return _lines[seen];
                    }
                }

                changed = _changed.Task;
            }

            if (_process.HasExited && _pumps.All(p => p.IsCompleted))
            {
                throw new InvalidOperationException($"{Name} exited ({_process.ExitCode}) without printing '{text}'; see {LogPath}");
            }

            try
            {
                await changed.WaitAsync(TimeSpan.FromSeconds(1), cts.Token);
            }
            catch (TimeoutException)
            {
                // Look again: the process may have exited.
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{Name} printed no line with '{text}' within {timeout.TotalSeconds}s; see {LogPath}");
            }
        }
    }

    /// <summary>The lines printed so far that contain <paramref name="text"/>.</summary>
    public IReadOnlyList<string> LinesContaining(string text)
    {
        lock (_lines)
        {
            return [.. _lines.Where(l => l.Contains(text, StringComparison.Ordinal))];
        }
    }

    /// <summary>SIGKILL of this process only, as a machine dying would; its own children are its business.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
        }

        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        await Task.WhenAll(_pumps);
        await _log.DisposeAsync();
        _process.Dispose();
    }

    private async Task PumpAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_lines)
            {
                _lines.Add(line);
                _log.WriteLine(line);
                var changed = _changed;
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                changed.SetResult();
            }
        }
    }

    private static string DotnetHost() =>
        Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
}
