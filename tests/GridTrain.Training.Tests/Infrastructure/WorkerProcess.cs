using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using GridTrain.Domain.Jobs;

namespace GridTrain.Training.Tests.Infrastructure;

/// <summary>The built GridTrain.Worker run as a real process, its standard output parsed with the worker protocol.</summary>
public sealed class WorkerProcess : IDisposable
{
    /// <summary>Only fails a test that hangs; nothing waits for it to pass.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly Channel<TrainingEvent> _events = Channel.CreateUnbounded<TrainingEvent>();
    private readonly List<TrainingEvent> _received = [];
    private readonly Task _standardOutput;
    private readonly Task<string> _standardError;

    private WorkerProcess(Process process)
    {
        _process = process;
        _standardOutput = PumpAsync(process.StandardOutput);
        _standardError = process.StandardError.ReadToEndAsync();
    }

    public IReadOnlyList<TrainingEvent> Events
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    public static WorkerProcess Start(WorkerRequest request, string requestPath)
    {
        File.WriteAllText(requestPath, JsonSerializer.Serialize(request, WorkerProtocol.JsonOptions));
        return Start("--request", requestPath);
    }

    public static WorkerProcess Start(params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "GridTrain.Worker.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return new WorkerProcess(Process.Start(start) ?? throw new InvalidOperationException("GridTrain.Worker did not start"));
    }

    /// <summary>The first event (from now on) that matches; fails when the process ends without one.</summary>
    public async Task<T> WaitForEventAsync<T>()
        where T : TrainingEvent
    {
        await foreach (var data in _events.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (data is T match)
            {
                return match;
            }
        }

        throw new InvalidOperationException($"GridTrain.Worker exited without reporting {typeof(T).Name}: {await _standardError.ConfigureAwait(false)}");
    }

    public async Task<int> WaitForExitAsync()
    {
        await _process.WaitForExitAsync().WaitAsync(Timeout).ConfigureAwait(false);
        await _standardOutput.WaitAsync(Timeout).ConfigureAwait(false);
        return _process.ExitCode;
    }

    public Task<string> StandardErrorAsync() => _standardError.WaitAsync(Timeout);

    /// <summary>Sends SIGTERM, as an agent does to stop a job.</summary>
    public async Task TerminateAsync()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync().WaitAsync(Timeout).ConfigureAwait(false);
        Assert.Equal(0, kill.ExitCode);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        _process.Dispose();
    }

    private async Task PumpAsync(StreamReader output)
    {
        while (await output.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            if (WorkerProtocol.TryParse(line) is { } data)
            {
                lock (_received)
                {
                    _received.Add(data);
                }

                _events.Writer.TryWrite(data);
            }
            else
            {
                Assert.False(line.StartsWith(WorkerProtocol.LinePrefix, StringComparison.Ordinal), $"unparsable protocol line: {line}");
            }
        }

        _events.Writer.TryComplete();
    }
}
