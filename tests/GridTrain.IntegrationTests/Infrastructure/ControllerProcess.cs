using System.Diagnostics;

namespace GridTrain.IntegrationTests.Infrastructure;

/// <summary>A real controller: the built <c>gridtrain controller run</c> in its own process, killable with SIGKILL.</summary>
public sealed class ControllerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ControllerProcess(Process process, Uri address, Uri? metrics)
    {
        _process = process;
        Address = address;
        Metrics = metrics;
    }

    public Uri Address { get; }

    /// <summary>The controller's <c>/metrics</c> URL; null unless started with metrics.</summary>
    public Uri? Metrics { get; }

    /// <summary>
    /// Starts a controller on <paramref name="port"/> (0: a free one) and waits until it listens; with
    /// <paramref name="metrics"/>, also serving /metrics, /livez and /readyz on a free HTTP/1.1 port.
    /// </summary>
    public static async Task<ControllerProcess> StartAsync(string dataDirectory, int port = 0, string agentTimeout = "3s", bool metrics = false, IReadOnlyDictionary<string, string>? environment = null)
    {
        var startInfo = new ProcessStartInfo(Dotnet.Host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[]
                 {
                     "exec", Path.Combine(AppContext.BaseDirectory, "gridtrain.dll"), "controller", "run",
                     "--listen", $"127.0.0.1:{port}", "--data-dir", dataDirectory,
                     "--heartbeat-interval", "500ms", "--agent-timeout", agentTimeout,
                 })
        {
            startInfo.ArgumentList.Add(arg);
        }

        if (metrics)
        {
            startInfo.ArgumentList.Add("--metrics-listen");
            startInfo.ArgumentList.Add("127.0.0.1:0");
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        var process = Process.Start(startInfo)!;
        _ = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var line = await process.StandardOutput.ReadLineAsync(timeout.Token)
            ?? throw new InvalidOperationException("the controller exited before listening");
        const string prefix = "listening on ";
        if (!line.StartsWith(prefix, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"unexpected first line from the controller: {line}");
        }

        Uri? metricsUri = null;
        if (metrics)
        {
            const string metricsPrefix = "metrics on ";
            var second = await process.StandardOutput.ReadLineAsync(timeout.Token) ?? "";
            metricsUri = second.StartsWith(metricsPrefix, StringComparison.Ordinal)
                ? new Uri(second[metricsPrefix.Length..])
                : throw new InvalidOperationException($"unexpected second line from the controller: {second}");
        }

        _ = process.StandardOutput.ReadToEndAsync();
        return new ControllerProcess(process, new Uri(line[prefix.Length..]), metricsUri);
    }

    /// <summary>SIGKILL: no shutdown, no flush.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
