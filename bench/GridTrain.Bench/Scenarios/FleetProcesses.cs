using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace GridTrain.Bench.Scenarios;

/// <summary>The child processes hosting the simulated fleet, and what they report.</summary>
internal sealed class FleetProcesses
{
    /// <summary>Runtime settings (after <c>DOTNET_</c> or <c>COMPlus_</c>) that the fleet does not inherit from the controller's environment.</summary>
    private static readonly string[] s_runtimeSettings = ["GC", "Jit", "TieredCompilation", "TC_", "TieredPGO", "ReadyToRun", "OSR_"];

    private readonly List<(Process Process, Task Reader)> _children = [];
    private readonly Dictionary<Process, FleetStats> _stats = [];
    private readonly object _gate = new();
    private readonly Dictionary<Process, (double PausedMs, int Collections)> _gc = [];
    private FleetWindow? _window;

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

    /// <summary>
    /// Starts <paramref name="agents"/> simulated agents in <paramref name="processes"/> processes, heartbeating on a
    /// stream each (as agents do) or, with <paramref name="overStream"/> false, with a Heartbeat call each time. With
    /// <paramref name="gen0Mib"/> above 0 the processes allocate that much between collections (server GC, fixed heaps):
    /// one collection of a process pauses thousands of simulated agents at once, which separate machines never do.
    /// </summary>
    public static Task<FleetProcesses> StartAsync(Uri address, string joinToken, int agents, int processes, TimeSpan heartbeatInterval, bool overStream, int gen0Mib)
    {
        var fleet = new FleetProcesses();
        var perProcess = (agents + processes - 1) / processes;
        for (var first = 0; first < agents; first += perProcess)
        {
            var startInfo = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardInput = true };
            // The fleet's collector is set here, not inherited: GC and JIT settings tried on the controller (which runs in
            // this process) must not change how the simulated agents collect and compile.
            foreach (var inherited in startInfo.Environment.Keys.Where(IsRuntimeSetting).ToList())
            {
                startInfo.Environment.Remove(inherited);
            }

            if (gen0Mib > 0)
            {
                startInfo.Environment["DOTNET_gcServer"] = "1";
                startInfo.Environment["DOTNET_GCDynamicAdaptationMode"] = "0";
                startInfo.Environment["DOTNET_GCgen0size"] = ((long)gen0Mib << 20).ToString("x", CultureInfo.InvariantCulture);
            }
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
            {
                startInfo.ArgumentList.Add(typeof(ControlPlaneScenario).Assembly.Location);
            }

            foreach (var arg in new[]
            {
                "controlplane-fleet", "--address", address.ToString(), "--join", joinToken, "--first", first.ToString(CultureInfo.InvariantCulture),
                "--count", Math.Min(perProcess, agents - first).ToString(CultureInfo.InvariantCulture),
                "--heartbeat-ms", ((int)heartbeatInterval.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
                "--heartbeats", overStream ? "stream" : "call",
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

    private static bool IsRuntimeSetting(string name) =>
        s_runtimeSettings.Any(setting => name.StartsWith("DOTNET_" + setting, StringComparison.OrdinalIgnoreCase)
            || name.StartsWith("COMPlus_" + setting, StringComparison.OrdinalIgnoreCase));

    /// <summary>Starts collecting heartbeat latencies; returns the window's clock.</summary>
    public Stopwatch Measure()
    {
        lock (_gate)
        {
            _window = new FleetWindow(_gc.Values.Sum(g => g.PausedMs), _gc.Values.Sum(g => g.Collections));
        }

        return Stopwatch.StartNew();
    }

    /// <summary>
    /// Ends the window: every heartbeat's round trip (ms), those of them during which their own fleet process collected
    /// garbage, and the fleet processes' GC pauses (ms, summed over the processes) and collections in the window.
    /// </summary>
    public FleetWindow EndMeasure()
    {
        lock (_gate)
        {
            var window = _window ?? new FleetWindow(0, 0);
            _window = null;
            window.GcPausedMs = Math.Round(_gc.Values.Sum(g => g.PausedMs) - window.GcPausedMs, 1);
            window.GcCollections = _gc.Values.Sum(g => g.Collections) - window.GcCollections;
            return window;
        }
    }

    /// <summary>Waits until every session in <paramref name="sessions"/> has reached its agent, or <paramref name="until"/> is cancelled.</summary>
    public async Task WaitPlacedAsync(ICollection<string> sessions, CancellationToken until)
    {
        while (sessions.Any(id => !Placed.ContainsKey(id)) && !until.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(50, until);
            }
            catch (OperationCanceledException) when (until.IsCancellationRequested)
            {
            }
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
                _gc[process] = (message.GetProperty("gc_paused_ms").GetDouble(), message.GetProperty("gc_collections").GetInt32());
                if (_window is not null)
                {
                    var overGc = message.GetProperty("lat_gc").EnumerateArray().Select(l => l.GetDouble()).ToList();
                    _window.Latencies.AddRange(message.GetProperty("lat").EnumerateArray().Select(l => l.GetDouble()));
                    _window.Latencies.AddRange(overGc);
                    _window.OverFleetGc.AddRange(overGc);
                }
            }
        }
    }
}

/// <summary>A measured window of the fleet: starts with the GC totals at its start, ends with the differences.</summary>
internal sealed class FleetWindow(double gcPausedMs, int gcCollections)
{
    public List<double> Latencies { get; } = [];

    /// <summary>The heartbeats during which their own fleet process collected garbage (also in <see cref="Latencies"/>).</summary>
    public List<double> OverFleetGc { get; } = [];

    public double GcPausedMs { get; set; } = gcPausedMs;

    public int GcCollections { get; set; } = gcCollections;

    /// <summary>Of the heartbeats slower than <paramref name="thresholdMs"/>, the share during which their fleet process collected garbage.</summary>
    public double? ShareOverFleetGc(double? thresholdMs)
    {
        var slow = Latencies.Count(l => l > thresholdMs);
        return thresholdMs is null || slow == 0 ? null : Math.Round((double)OverFleetGc.Count(l => l > thresholdMs) / slow, 2);
    }
}

/// <summary>What the fleet's slices last reported, summed.</summary>
internal sealed record FleetStats(int Registered, int Reregistered, int HeartbeatErrors, int RegisterRefusals);
