using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using GridTrain.Client;
using GridTrain.Controller.Hosting;
using GridTrain.Controller.Security;
using GridTrain.Domain.Coordination;
using GridTrain.Protos.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;

namespace GridTrain.Bench.Scenarios;

/// <summary>
/// The control plane under a fleet, in production conditions: simulated agents (in a few child processes, see
/// <see cref="ControlPlaneFleet"/>, each agent on its own connection) register with the join token, keep their command
/// streams open and heartbeat at the default interval against a controller with its shipped defaults (rate limits on,
/// durable SQLite or PostgreSQL with fsync). Measured: heartbeat latency in steady state, then during a bounded burst
/// of GPU session creations from 50 user tokens, each on its own connection — and placement latency from
/// CreateSession to the AssignSession command arriving at the chosen agent.
/// </summary>
internal static class ControlPlaneScenario
{
    private const int Users = 50;
    private const int CallersPerUser = 2;

    public static async Task<int> RunAsync(string[] args)
    {
        var agents = Option(args, "--agents", 10_000);
        var sessions = Option(args, "--sessions", agents * 2);
        var steadySeconds = Option(args, "--steady-seconds", 20);
        var burstSeconds = Option(args, "--burst-seconds", 120);
        var registerSeconds = Option(args, "--register-seconds", 300);
        var fleetProcesses = Option(args, "--fleet-processes", 4);
        var store = OptionText(args, "--store", "sqlite");
        if (store is not ("sqlite" or "postgres"))
        {
            Console.Error.WriteLine("--store: sqlite or postgres");
            return 2;
        }

        var options = new GridOptions();
        var root = Directory.CreateTempSubdirectory("gridtrain-controlplane-").FullName;
        await using var postgres = store == "postgres" ? await BenchPostgres.StartAsync() : null;
        var storage = postgres is null ? ControllerStorageOptions.InDirectory(root) : new ControllerStorageOptions { PostgresConnectionString = postgres.ConnectionString };
        var security = new ControllerSecurityOptions { JoinToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)) };
        Console.WriteLine($"controlplane: {agents} agents in {fleetProcesses} processes (one connection each), heartbeat every {options.HeartbeatInterval.TotalSeconds}s, "
            + $"up to {sessions} sessions from {Users} users within {burstSeconds}s, {storage.Describe()}, rate limits {security.UserRequestsPerSecond}/s per user, {security.AgentRequestsPerSecond}/s per agent");

        var events = new ControllerEvents();
        await using var controller = await ControllerServer.CreateAsync(
            new IPEndPoint(IPAddress.Loopback, 0),
            storage,
            options,
            logging => logging.ClearProviders().SetMinimumLevel(LogLevel.Warning).AddProvider(events),
            security: security);
        await controller.StartAsync(CancellationToken.None);
        var userTokens = new List<string>(Users);
        for (var u = 0; u < Users; u++)
        {
            userTokens.Add(await controller.CreateTokenAsync($"bench-user-{u:D2}"));
        }

        var clock = Stopwatch.StartNew();
        var fleet = await Fleet.StartAsync(controller.Address, security.JoinToken!, agents, fleetProcesses, options.HeartbeatInterval);
        while (fleet.Registered < agents && clock.Elapsed < TimeSpan.FromSeconds(registerSeconds) && fleet.Running)
        {
            await Task.Delay(TimeSpan.FromSeconds(5));
            Console.WriteLine($"registered {fleet.Registered}/{agents} after {clock.Elapsed.TotalSeconds:F0} s ({events.AgentsLost} declared lost so far)");
        }

        var registeredAgents = fleet.Registered;
        var registerTime = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"registered {registeredAgents} agents with open command streams in {registerTime:F1} s");

        // Steady state: let the heartbeat phases spread, then measure.
        await Task.Delay(options.HeartbeatInterval * 2);
        var steady = fleet.Measure();
        await Task.Delay(TimeSpan.FromSeconds(steadySeconds));
        var steadyLatencies = fleet.EndMeasure();
        var heartbeatsPerSecond = steadyLatencies.Count / steady.Elapsed.TotalSeconds;
        Console.WriteLine($"steady state: {heartbeatsPerSecond:F0} heartbeats/s, p99 {Percentile(steadyLatencies, 0.99)} ms; burst starts");

        // Burst: each user token creates sessions from two callers until the sessions are created or the time is up;
        // a session is placed when its agent receives AssignSession.
        var burstLoad = Loadavg();
        var channels = userTokens.Select(token => GrpcChannel.ForAddress(controller.Address, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan },
        })).ToList();
        var created = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var rateLimited = 0;
        var createErrors = 0;
        var burst = fleet.Measure();
        using var burstEnd = new CancellationTokenSource(TimeSpan.FromSeconds(burstSeconds));
        var next = -1;
        await Task.WhenAll(userTokens.SelectMany((token, u) => Enumerable.Range(0, CallersPerUser).Select(async _ =>
        {
            var client = new SessionService.SessionServiceClient(ControllerChannel.WithToken(channels[u], () => token));
            while (!burstEnd.IsCancellationRequested && Interlocked.Increment(ref next) < sessions)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    var session = await client.CreateSessionAsync(new CreateSessionRequest { Resources = new ResourceRequest { Runtime = Runtime.Gpu, GpuCount = 1 } }, cancellationToken: burstEnd.Token);
                    created[session.Id] = started;
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
                {
                    Interlocked.Increment(ref rateLimited);
                    Interlocked.Decrement(ref next);
                    await Task.Delay(TimeSpan.FromMilliseconds(50), CancellationToken.None);
                }
                catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled || !burstEnd.IsCancellationRequested)
                {
                    Interlocked.Increment(ref createErrors);
                }
                catch (RpcException) when (burstEnd.IsCancellationRequested)
                {
                }
            }
        })));
        while (created.Keys.Any(id => !fleet.Placed.ContainsKey(id)) && !burstEnd.IsCancellationRequested)
        {
            await Task.Delay(50);
        }

        var placementSeconds = burst.Elapsed.TotalSeconds;
        var burstLatencies = fleet.EndMeasure();
        var placed = fleet.Placed;
        var placementLatencies = created.Where(c => placed.ContainsKey(c.Key)).Select(c => Stopwatch.GetElapsedTime(c.Value, placed[c.Key]).TotalMilliseconds).ToList();
        var stats = await fleet.StopAsync();
        foreach (var channel in channels)
        {
            channel.Dispose();
        }

        var result = new
        {
            scenario = "controlplane",
            agents,
            storage = store,
            store,
            connections = "one per agent and per user",
            rate_limits = $"on: {security.UserRequestsPerSecond}/s per user token, {security.AgentRequestsPerSecond}/s per agent",
            fleet_processes = fleetProcesses,
            agents_registered = registeredAgents,
            register_s = Math.Round(registerTime, 1),
            agents_lost = events.AgentsLost,
            reregistered = stats.Reregistered,
            heartbeat_errors = stats.HeartbeatErrors,
            register_refusals = stats.RegisterRefusals,
            heartbeats_per_s = Math.Round(heartbeatsPerSecond, 1),
            heartbeat_p50_ms = Percentile(steadyLatencies, 0.50),
            heartbeat_p99_ms = Percentile(steadyLatencies, 0.99),
            burst_heartbeats_per_s = Math.Round(burstLatencies.Count / placementSeconds, 1),
            burst_heartbeat_p50_ms = Percentile(burstLatencies, 0.50),
            burst_heartbeat_p99_ms = Percentile(burstLatencies, 0.99),
            sessions,
            sessions_created = created.Count,
            sessions_placed = placementLatencies.Count,
            burst_s = Math.Round(placementSeconds, 1),
            burst_bounded = burstEnd.IsCancellationRequested,
            rate_limited_calls = rateLimited,
            create_errors = createErrors,
            placements_per_s = Math.Round(placementLatencies.Count / placementSeconds, 1),
            placement_p50_ms = Percentile(placementLatencies, 0.50),
            placement_p99_ms = Percentile(placementLatencies, 0.99),
            loadavg_before_burst = burstLoad,
            loadavg_end = Loadavg(),
        };
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    private static string Loadavg() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "";

    /// <summary>The percentile in milliseconds, rounded; null (JSON null) when nothing was measured.</summary>
    private static double? Percentile(List<double> values, double percentile)
    {
        if (values.Count == 0)
        {
            return null;
        }

        var sorted = values.Order().ToList();
        return Math.Round(sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(percentile * sorted.Count) - 1)], 2);
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string OptionText(string[] args, string name, string fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }

    /// <summary>Counts the agents the controller declares lost (its <c>AgentLost</c> event) and echoes errors.</summary>
    private sealed class ControllerEvents : ILoggerProvider, ILogger
    {
        private int _agentsLost;
        private int _errorsShown;

        public int AgentsLost => Volatile.Read(ref _agentsLost);

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Name == "AgentLost")
            {
                Interlocked.Increment(ref _agentsLost);
            }
            else if (logLevel >= LogLevel.Error && Interlocked.Increment(ref _errorsShown) <= 20)
            {
                Console.Error.WriteLine($"controller {logLevel}: {formatter(state, exception)} {exception?.GetType().Name}: {exception?.Message}");
            }
        }

        public void Dispose()
        {
        }
    }

    /// <summary>The child processes hosting the simulated fleet, and what they report.</summary>
    private sealed class Fleet
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

        public static Task<Fleet> StartAsync(Uri address, string joinToken, int agents, int processes, TimeSpan heartbeatInterval)
        {
            var fleet = new Fleet();
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

    private sealed record FleetStats(int Registered, int Reregistered, int HeartbeatErrors, int RegisterRefusals);
}
