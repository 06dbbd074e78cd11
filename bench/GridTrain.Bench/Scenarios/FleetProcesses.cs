using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace GridTrain.Bench.Scenarios;

/// <summary>The child processes hosting the simulated fleet, and what they report.</summary>
internal sealed class FleetProcesses
{
    private readonly List<(Process Process, Task Reader)> _children = [];
    private readonly Dictionary<Process, FleetStats> _stats = [];
    private readonly object _gate = new();
    private List<double>? _window;

    public ConcurrentDictionary<string, long> Placed { get; } = new(StringComparer.Ordinal);

    public int Registered
    {
        get
        {
            lock (_gate)
            {
                return _stats.Values.Sum(s => s.Registered);
            }
        }
    }

    public bool Running => _children.Any(c => !c.Process.HasExited);

    public static Task<FleetProcesses> StartAsync(Uri address, string joinToken, int agents, int processes, TimeSpan heartbeatInterval)
    {
        var fleet = new FleetProcesses();
        var perProcess = (agents + processes - 1) / processes;
        for (var first = 0; first < agents; first += perProcess)
        {
            var startInfo = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardInput = true };
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
            {
                startInfo.ArgumentList.Add(typeof(ControlPlaneScenario).Assembly.Location);
            }

            foreach (var arg in new[]
            {
                "controlplane-fleet", "--address", address.ToString(), "--join", joinToken, "--first", first.ToString(CultureInfo.InvariantCulture),
                "--count", Math.Min(perProcess, agents - first).ToString(CultureInfo.InvariantCulture),
                "--heartbeat-ms", ((int)heartbeatInterval.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
            })
            {
                startInfo.ArgumentList.Add(arg);
            }

            var process = Process.Start(startInfo)!;
            fleet._stats[process] = new FleetStats(0, 0, 0, 0);
            fleet._children.Add((process, fleet.ReadAsync(process)));
        }

        return Task.FromResult(fleet);
    }

    /// <summary>Starts collecting heartbeat latencies; returns the window's clock.</summary>
    public Stopwatch Measure()
    {
        lock (_gate)
        {
            _window = [];
        }

        return Stopwatch.StartNew();
    }

    public List<double> EndMeasure()
    {
        lock (_gate)
        {
            var window = _window ?? [];
            _window = null;
            return window;
        }
    }

    /// <summary>Waits until every session in <paramref name="sessions"/> has reached its agent, or <paramref name="until"/> is cancelled.</summary>
    public async Task WaitPlacedAsync(ICollection<string> sessions, CancellationToken until)
    {
        while (sessions.Any(id => !Placed.ContainsKey(id)) && !until.IsCancellationRequested)
        {
            await Task.Delay(50, CancellationToken.None);
        }
    }

    public async Task<FleetStats> StopAsync()
    {
        foreach (var (process, _) in _children)
        {
            process.StandardInput.Close();
        }

        foreach (var (process, reader) in _children)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
            }

            await reader;
            process.Dispose();
        }

        lock (_gate)
        {
            return new FleetStats(
                _stats.Values.Sum(s => s.Registered),
                _stats.Values.Sum(s => s.Reregistered),
                _stats.Values.Sum(s => s.HeartbeatErrors),
                _stats.Values.Sum(s => s.RegisterRefusals));
        }
    }

    private async Task ReadAsync(Process process)
    {
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            using var document = JsonDocument.Parse(line);
            var message = document.RootElement;
            if (message.GetProperty("t").GetString() == "placed")
            {
                Placed.TryAdd(message.GetProperty("s").GetString()!, message.GetProperty("at").GetInt64());
                continue;
            }

            lock (_gate)
            {
                _stats[process] = new FleetStats(
                    message.GetProperty("registered").GetInt32(),
                    message.GetProperty("reregistered").GetInt32(),
                    message.GetProperty("heartbeat_errors").GetInt32(),
                    message.GetProperty("register_refusals").GetInt32());
                if (_window is not null)
                {
                    _window.AddRange(message.GetProperty("lat").EnumerateArray().Select(l => l.GetDouble()));
                }
            }
        }
    }
}

/// <summary>What the fleet's slices last reported, summed.</summary>
internal sealed record FleetStats(int Registered, int Reregistered, int HeartbeatErrors, int RegisterRefusals);
