using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace GridTrain.IntegrationTests.Infrastructure;

/// <summary>
/// A real Prometheus (Debian's <c>prometheus</c> package) in a temp directory on a free loopback port, scraping the
/// given targets every second; queried through its HTTP API.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private const string Binary = "/usr/bin/prometheus";
    private readonly Process _process;
    private readonly string _directory;
    private readonly HttpClient _http;
    private readonly List<string> _log = [];

    private PrometheusServer(Process process, string directory, Uri address)
    {
        _process = process;
        _directory = directory;
        _http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>Starts Prometheus scraping <paramref name="targets"/> (job name to /metrics URL) and waits until it is ready.</summary>
    public static async Task<PrometheusServer> StartAsync(IReadOnlyDictionary<string, Uri> targets, TimeSpan timeout)
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException("Prometheus is not installed: apt-get install -y prometheus (.ci/run does this)");
        }

        var directory = Directory.CreateTempSubdirectory("gridtrain-prometheus-").FullName;
        var config = "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n"
            + string.Concat(targets.Select(t => $"  - job_name: {t.Key}\n    metrics_path: {t.Value.AbsolutePath}\n    static_configs:\n      - targets: ['{t.Value.Authority}']\n"));
        var configPath = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(configPath, config);

        var port = FreePort();
        var startInfo = new ProcessStartInfo(Binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[]
                 {
                     $"--config.file={configPath}", $"--storage.tsdb.path={Path.Combine(directory, "data")}",
                     $"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=1h",
                 })
        {
            startInfo.ArgumentList.Add(arg);
        }

        var server = new PrometheusServer(Process.Start(startInfo)!, directory, new Uri($"http://127.0.0.1:{port}/"));
        _ = server.PumpAsync(server._process.StandardOutput);
        _ = server.PumpAsync(server._process.StandardError);
        await server.WaitReadyAsync(timeout);
        return server;
    }

    /// <summary>
    /// Evaluates <paramref name="query"/> over [<paramref name="start"/>, now] at a 1 s step, as a Grafana panel does.
    /// Returns Prometheus' status (<c>success</c> or <c>error</c>), its error text, and the number of samples.
    /// </summary>
    public async Task<QueryOutcome> QueryRangeAsync(string query, DateTimeOffset start, CancellationToken cancellationToken)
    {
        var end = DateTimeOffset.UtcNow;
        var url = $"api/v1/query_range?query={Uri.EscapeDataString(query)}&start={Unix(start)}&end={Unix(end)}&step=1";
        using var response = await _http.GetAsync(url, cancellationToken);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        var root = document.RootElement;
        var status = root.GetProperty("status").GetString() ?? "";
        if (status != "success")
        {
            var error = root.TryGetProperty("error", out var e) ? e.GetString() : null;
            return new QueryOutcome(status, error ?? "(no error text)", 0);
        }

        var samples = root.GetProperty("data").GetProperty("result").EnumerateArray()
            .Sum(series => series.GetProperty("values").EnumerateArray().Count(v => v[1].GetString() is not ("NaN" or null)));
        return new QueryOutcome(status, null, samples);
    }

    /// <summary>Evaluates <paramref name="query"/> now; each series' labels and value. Throws on a query error.</summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>> QueryAsync(string query, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync($"api/v1/query?query={Uri.EscapeDataString(query)}", cancellationToken);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        var root = document.RootElement;
        if (root.GetProperty("status").GetString() != "success")
        {
            throw new InvalidOperationException($"{query}: {root.GetProperty("error").GetString()}");
        }

        return [.. root.GetProperty("data").GetProperty("result").EnumerateArray().Select(series => (
            (IReadOnlyDictionary<string, string>)series.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal),
            double.Parse(series.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture)))];
    }

    public string Log()
    {
        lock (_log)
        {
            return string.Join('\n', _log.TakeLast(40));
        }
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private Task WaitReadyAsync(TimeSpan timeout) =>
        Poll.UntilAsync<object>(
            async ct =>
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"prometheus exited with {_process.ExitCode}:\n{Log()}");
                }

                try
                {
                    using var response = await _http.GetAsync("-/ready", ct);
                    return response.StatusCode == HttpStatusCode.OK ? response : null;
                }
                catch (HttpRequestException)
                {
                    return null;
                }
            },
            timeout,
            () => $"prometheus not ready:\n{Log()}");

    private async Task PumpAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_log)
            {
                _log.Add(line);
            }
        }
    }

    private static string Unix(DateTimeOffset time) => (time.ToUnixTimeMilliseconds() / 1000.0).ToString("F3", CultureInfo.InvariantCulture);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>What Prometheus answered to a query.</summary>
public sealed record QueryOutcome(string Status, string? Error, int Samples);
