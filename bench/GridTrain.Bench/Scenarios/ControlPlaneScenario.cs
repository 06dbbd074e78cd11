using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime;
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
/// durable SQLite or PostgreSQL with fsync). Measured: heartbeat latency in steady state, then during bounded bursts
/// of GPU session creations from 50 user tokens, each on its own connection (<c>--rounds</c> of them, the sessions
/// terminated between rounds) — and placement latency from CreateSession to the AssignSession command arriving at
/// the chosen agent.
/// </summary>
internal static class ControlPlaneScenario
{
    private const int Users = 50;

    public static async Task<int> RunAsync(string[] args)
    {
        // Ctrl+C ends the run where it is: the controller, the fleet and the users stop, and nothing is reported.
        using var abort = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            abort.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            return await RunAsync(args, abort.Token);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static async Task<int> RunAsync(string[] args, CancellationToken abort)
    {
        var agents = Option(args, "--agents", 10_000);
        var sessions = Option(args, "--sessions", agents * 2);
        var steadySeconds = Option(args, "--steady-seconds", 20);
        var burstSeconds = Option(args, "--burst-seconds", 120);
        var registerSeconds = Option(args, "--register-seconds", 300);
        var fleetProcesses = Option(args, "--fleet-processes", 4);
        var warmupSessions = Option(args, "--warmup-sessions", 1_000);
        var rounds = Option(args, "--rounds", 3);
        var warmupRounds = Option(args, "--warmup-rounds", 6);
        var fleetGen0Mib = Option(args, "--fleet-gen0-mib", 1024);
        var heartbeats = OptionText(args, "--heartbeats", "stream");
        if (heartbeats is not ("stream" or "call"))
        {
            Console.Error.WriteLine("--heartbeats: stream (as agents send them) or call (a Heartbeat call each)");
            return 2;
        }

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
        await controller.StartAsync(abort);
        var userTokens = new List<string>(Users);
        for (var u = 0; u < Users; u++)
        {
            userTokens.Add(await controller.CreateTokenAsync($"bench-user-{u:D2}"));
        }

        using var server = new ServerTimings();
        var clock = Stopwatch.StartNew();
        var fleet = await FleetProcesses.StartAsync(controller.Address, security.JoinToken!, agents, fleetProcesses, options.HeartbeatInterval, heartbeats == "stream", fleetGen0Mib);
        while (fleet.Registered < agents && clock.Elapsed < TimeSpan.FromSeconds(registerSeconds) && fleet.Running)
        {
            await Task.Delay(TimeSpan.FromSeconds(5), abort);
            Console.WriteLine($"registered {fleet.Registered}/{agents} after {clock.Elapsed.TotalSeconds:F0} s ({events.AgentsLost} declared lost so far)");
        }

        var registeredAgents = fleet.Registered;
        var registerTime = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"registered {registeredAgents} agents with open command streams in {registerTime:F1} s");

        // Warm-up: a long-running controller has compiled its hot paths and sized its heaps long before any burst; one
        // that has not spends the burst's first seconds in the JIT. These sessions stay placed through what follows.
        using var users = new SessionBurst(controller.Address, userTokens);
        if (warmupSessions > 0)
        {
            using var warmupEnd = CancellationTokenSource.CreateLinkedTokenSource(abort);
            warmupEnd.CancelAfter(TimeSpan.FromSeconds(burstSeconds));
            var warmup = await users.RunAsync(warmupSessions, warmupEnd.Token);
            await fleet.WaitPlacedAsync(warmup.Created.Keys, warmupEnd.Token);
            Console.WriteLine($"warm-up: {warmup.Created.Count} sessions created and placed");
        }

        var warmupCompiled = await BurstWarmup.RunAsync(users, fleet, sessions, warmupRounds, options.HeartbeatInterval * 2, TimeSpan.FromSeconds(burstSeconds), abort);

        // Steady state: let the heartbeat phases spread, then measure.
        await Task.Delay(options.HeartbeatInterval * 2, abort);
        var steady = fleet.Measure();
        server.Start();
        await Task.Delay(TimeSpan.FromSeconds(steadySeconds), abort);
        var steadyFleet = fleet.EndMeasure();
        var steadyLatencies = steadyFleet.Latencies;
        var steadyServer = server.Stop();
        Console.WriteLine($"controller GC, steady state: {ServerTimings.DescribeLastCollections()}");
        var heartbeatsPerSecond = steadyLatencies.Count / steady.Elapsed.TotalSeconds;
        Console.WriteLine($"steady state: {heartbeatsPerSecond:F0} heartbeats/s, p99 {Percentile(steadyLatencies, 0.99)} ms, fleet GC paused {steadyFleet.GcPausedMs} ms in {steadyFleet.GcCollections} collections; burst starts");

        // Bursts: in each round the users create sessions until they are created or the time is up (a session is placed
        // when its agent receives AssignSession); between rounds they terminate them, unmeasured. Several rounds give the
        // burst's percentiles thousands more samples than one burst of a few seconds.
        var burstLoad = Loadavg();
        var burstLatencies = new List<double>();
        var burstServerHeartbeats = new List<double>();
        var roundP99s = new List<double?>();
        var burstGcPaused = 0.0;
        var burstFleetGcPaused = 0.0;
        var burstTail = new FleetWindow(0, 0);
        var burstCollections = new int[3];
        var burstPauses = new List<double>();
        var burstQueueDelays = new List<double>();
        var burstCompiled = 0L;
        var placementLatencies = new List<double>();
        var placementSeconds = 0.0;
        var (createdCount, rateLimited, createErrors, bounded) = (0, 0, 0, false);
        for (var round = 1; round <= rounds; round++)
        {
            var compiledBefore = JitInfo.GetCompiledMethodCount();
            var burst = fleet.Measure();
            server.Start();
            using var burstEnd = CancellationTokenSource.CreateLinkedTokenSource(abort);
            burstEnd.CancelAfter(TimeSpan.FromSeconds(burstSeconds));
            var created = await users.RunAsync(sessions, burstEnd.Token);
            await fleet.WaitPlacedAsync(created.Created.Keys, burstEnd.Token);
            placementSeconds += burst.Elapsed.TotalSeconds;
            var burstFleet = fleet.EndMeasure();
            var latencies = burstFleet.Latencies;
            var (serverHeartbeats, gcPaused, collections, pauses, queueDelays) = server.Stop();
            var roundCompiled = JitInfo.GetCompiledMethodCount() - compiledBefore;
            Console.WriteLine($"round {round}: {created.Created.Count} sessions in {burst.Elapsed.TotalSeconds:F1} s, burst heartbeat p99 {Percentile(latencies, 0.99)} ms; "
                + $"fleet GC paused {burstFleet.GcPausedMs} ms in {burstFleet.GcCollections} collections; controller GC pauses p50 / max {Percentile(pauses, 0.5)} / {Percentile(pauses, 1)} ms, "
                + $"thread-pool queue wait p50 / p99 {Percentile(queueDelays, 0.5)} / {Percentile(queueDelays, 0.99)} ms; {roundCompiled} methods compiled; {ServerTimings.DescribeLastCollections()}");
            roundP99s.Add(Percentile(latencies, 0.99));
            burstCompiled += roundCompiled;
            burstLatencies.AddRange(latencies);
            burstServerHeartbeats.AddRange(serverHeartbeats);
            burstGcPaused += gcPaused;
            burstFleetGcPaused += burstFleet.GcPausedMs;
            burstTail.Latencies.AddRange(latencies);
            burstTail.OverFleetGc.AddRange(burstFleet.OverFleetGc);
            burstCollections = [.. burstCollections.Zip(collections, (a, b) => a + b)];
            burstPauses.AddRange(pauses);
            burstQueueDelays.AddRange(queueDelays);
            var placed = fleet.Placed;
            placementLatencies.AddRange(created.Created.Where(c => placed.ContainsKey(c.Key)).Select(c => Stopwatch.GetElapsedTime(c.Value, placed[c.Key]).TotalMilliseconds));
            (createdCount, rateLimited, createErrors, bounded) = (createdCount + created.Created.Count, rateLimited + created.RateLimited, createErrors + created.CreateErrors, bounded || burstEnd.IsCancellationRequested);
            if (round < rounds)
            {
                await users.TerminateAsync(created, abort);
                await Task.Delay(options.HeartbeatInterval * 2, abort);
            }
        }

        // Counted before the fleet stops: agents that have stopped heartbeating while 10,000 of them shut down are declared
        // lost 10 s later, after the measurement, and are not the controller losing live agents.
        var agentsLost = events.AgentsLost;
        var stats = await fleet.StopAsync();
        Console.WriteLine($"agents declared lost: {agentsLost} before the fleet stopped, {events.AgentsLost - agentsLost} while it stopped");

        var result = new
        {
            scenario = "controlplane",
            agents,
            storage = store,
            store,
            connections = "one per agent and per user",
            rate_limits = $"on: {security.UserRequestsPerSecond}/s per user token, {security.AgentRequestsPerSecond}/s per agent",
            fleet_processes = fleetProcesses,
            heartbeats,
            warmup_sessions = warmupSessions,
            warmup_rounds_compiled = warmupCompiled,
            agents_registered = registeredAgents,
            register_s = Math.Round(registerTime, 1),
            agents_lost = agentsLost,
            reregistered = stats.Reregistered,
            heartbeat_errors = stats.HeartbeatErrors,
            register_refusals = stats.RegisterRefusals,
            heartbeats_per_s = Math.Round(heartbeatsPerSecond, 1),
            heartbeat_p50_ms = Percentile(steadyLatencies, 0.50),
            heartbeat_p99_ms = Percentile(steadyLatencies, 0.99),
            server_heartbeat_p99_ms = Percentile(steadyServer.HeartbeatMs, 0.99),
            gc_paused_ms = steadyServer.GcPausedMs,
            gc_collections = steadyServer.Collections,
            fleet_gen0_mib = fleetGen0Mib,
            fleet_gc_paused_ms = steadyFleet.GcPausedMs,
            fleet_gc_collections = steadyFleet.GcCollections,
            slowest_1pct_over_fleet_gc = steadyFleet.ShareOverFleetGc(Percentile(steadyLatencies, 0.99)),
            burst_heartbeats_per_s = Math.Round(burstLatencies.Count / placementSeconds, 1),
            burst_heartbeat_p50_ms = Percentile(burstLatencies, 0.50),
            burst_heartbeat_p99_ms = Percentile(burstLatencies, 0.99),
            burst_rounds = rounds,
            burst_round_heartbeat_p99_ms = roundP99s,
            burst_server_heartbeat_p99_ms = Percentile(burstServerHeartbeats, 0.99),
            burst_gc_paused_ms = Math.Round(burstGcPaused, 1),
            burst_gc_collections = burstCollections,
            burst_gc_pause_p50_ms = Percentile(burstPauses, 0.50),
            burst_gc_pause_p90_ms = Percentile(burstPauses, 0.90),
            burst_gc_pause_max_ms = Percentile(burstPauses, 1),
            burst_threadpool_wait_p50_ms = Percentile(burstQueueDelays, 0.50),
            burst_threadpool_wait_p99_ms = Percentile(burstQueueDelays, 0.99),
            burst_methods_compiled = burstCompiled,
            burst_fleet_gc_paused_ms = Math.Round(burstFleetGcPaused, 1),
            burst_slowest_1pct_over_fleet_gc = burstTail.ShareOverFleetGc(Percentile(burstLatencies, 0.99)),
            sessions,
            sessions_created = createdCount,
            sessions_placed = placementLatencies.Count,
            burst_s = Math.Round(placementSeconds, 1),
            burst_bounded = bounded,
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
}
