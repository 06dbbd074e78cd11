using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using GridTrain.Client;
using GridTrain.Controller.Hosting;
using GridTrain.Controller.Security;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.Protos.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;

namespace GridTrain.Bench.Scenarios;

/// <summary>
/// The control plane under a fleet: simulated agents (lightweight gRPC clients over loopback, in this process) register,
/// keep their command streams open and heartbeat at the default interval against a controller with durable SQLite
/// state. Measured: heartbeat latency in steady state, then a burst of GPU session creations — placement latency from
/// CreateSession to the AssignSession command arriving at the chosen agent.
/// </summary>
internal static class ControlPlaneScenario
{
    public static async Task<int> RunAsync(string[] args)
    {
        var agents = Option(args, "--agents", 5_000);
        var sessions = Option(args, "--sessions", 2_000);
        var steadySeconds = Option(args, "--steady-seconds", 20);
        var options = new GridOptions();
        var root = Directory.CreateTempSubdirectory("gridtrain-controlplane-").FullName;
        Console.WriteLine($"controlplane: {agents} agents, heartbeat every {options.HeartbeatInterval.TotalSeconds}s, {sessions} sessions in a burst, SQLite in {root}");

        // Thousands of simulated agents and a burst from one user: no rate limits in this measurement.
        var joinToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        await using var controller = await ControllerServer.CreateAsync(
            new IPEndPoint(IPAddress.Loopback, 0),
            ControllerStorageOptions.InDirectory(root),
            options,
            logging => logging.SetMinimumLevel(LogLevel.Warning),
            security: new ControllerSecurityOptions { JoinToken = joinToken, UserRequestsPerSecond = 0, AgentRequestsPerSecond = 0 });
        await controller.StartAsync(CancellationToken.None);
        using var channel = GrpcChannel.ForAddress(controller.Address, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan },
        });
        var agentClient = new AgentService.AgentServiceClient(channel);
        var placed = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        using var stop = new CancellationTokenSource();

        var fleet = new SimulatedAgent[agents];
        var registered = Stopwatch.StartNew();
        for (var start = 0; start < agents; start += 200)
        {
            await Task.WhenAll(Enumerable.Range(start, Math.Min(200, agents - start)).Select(async i =>
            {
                fleet[i] = await SimulatedAgent.RegisterAsync(agentClient, $"sim-{i:D5}", joinToken, placed, stop.Token);
            }));
        }

        Console.WriteLine($"registered {agents} agents with open command streams in {registered.Elapsed.TotalSeconds:F1} s");
        var beating = fleet.Select(a => a.HeartbeatLoopAsync(options.HeartbeatInterval, stop.Token)).ToList();

        // Steady state: let the heartbeat phases spread, then measure.
        await Task.Delay(options.HeartbeatInterval * 2);
        foreach (var agent in fleet)
        {
            agent.Latencies.Clear();
        }

        var steady = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(steadySeconds));
        var heartbeatLatencies = fleet.SelectMany(a => a.Latencies).ToList();
        var heartbeatsPerSecond = heartbeatLatencies.Count / steady.Elapsed.TotalSeconds;

        // Burst: create sessions from 64 concurrent callers; each is placed when its agent receives AssignSession.
        var sessionClient = new SessionService.SessionServiceClient(ControllerChannel.WithToken(channel, () => controller.AdminToken));
        var created = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var burst = Stopwatch.StartNew();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 64).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < sessions)
            {
                var started = Stopwatch.GetTimestamp();
                var session = await sessionClient.CreateSessionAsync(new CreateSessionRequest { Resources = new ResourceRequest { Runtime = Runtime.Gpu, GpuCount = 1 } });
                created[session.Id] = started;
            }
        }));
        while (placed.Count < sessions && burst.Elapsed < TimeSpan.FromMinutes(2))
        {
            await Task.Delay(10);
        }

        var placementSeconds = burst.Elapsed.TotalSeconds;
        var placementLatencies = created.Where(c => placed.ContainsKey(c.Key)).Select(c => Stopwatch.GetElapsedTime(c.Value, placed[c.Key]).TotalMilliseconds).ToList();
        await stop.CancelAsync();
        await Task.WhenAll(beating);

        var result = new
        {
            scenario = "controlplane",
            agents,
            storage = "sqlite",
            heartbeats_per_s = Math.Round(heartbeatsPerSecond, 1),
            heartbeat_p50_ms = Math.Round(Percentile(heartbeatLatencies, 0.50), 2),
            heartbeat_p99_ms = Math.Round(Percentile(heartbeatLatencies, 0.99), 2),
            sessions,
            sessions_placed = placementLatencies.Count,
            placements_per_s = Math.Round(placementLatencies.Count / placementSeconds, 1),
            placement_p50_ms = Math.Round(Percentile(placementLatencies, 0.50), 2),
            placement_p99_ms = Math.Round(Percentile(placementLatencies, 0.99), 2),
        };
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    private static double Percentile(List<double> values, double percentile)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(percentile * sorted.Count) - 1)];
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }

    /// <summary>An agent reduced to its protocol: register, hold the command stream, confirm assignments, heartbeat.</summary>
    private sealed class SimulatedAgent
    {
        private readonly AgentService.AgentServiceClient _client;
        private readonly string _agentId;
        private readonly Metadata _credential;
        private readonly ConcurrentDictionary<string, long> _held = new(StringComparer.Ordinal);
        private readonly SemaphoreSlim _nudge = new(0, int.MaxValue);

        private SimulatedAgent(AgentService.AgentServiceClient client, string agentId, string credential)
        {
            _client = client;
            _agentId = agentId;
            _credential = new Metadata { { "authorization", "Bearer " + credential } };
        }

        public ConcurrentBag<double> Latencies { get; } = [];

        public static async Task<SimulatedAgent> RegisterAsync(AgentService.AgentServiceClient client, string name, string joinToken, ConcurrentDictionary<string, long> placed, CancellationToken stop)
        {
            var inventory = new Inventory { CpuCores = 64, MemoryBytes = 512L << 30, CpuSlots = 4 };
            inventory.Gpus.AddRange(Enumerable.Range(0, 8).Select(i => new GpuDevice { Index = i, Uuid = $"GPU-{name}-{i}", Model = "NVIDIA H100 80GB HBM3", MemoryBytes = 80L << 30 }));
            var response = await client.RegisterAsync(new RegisterAgentRequest { Name = name, Inventory = inventory, Version = "sim" }, new Metadata { { "authorization", "Bearer " + joinToken } });
            var agent = new SimulatedAgent(client, response.AgentId, response.AgentCredential);
            var call = client.ReceiveCommands(new ReceiveCommandsRequest { AgentId = response.AgentId }, agent._credential, cancellationToken: stop);
            _ = agent.ReceiveAsync(call, placed);
            return agent;
        }

        public async Task HeartbeatLoopAsync(TimeSpan interval, CancellationToken stop)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * interval.TotalMilliseconds), stop);
                while (!stop.IsCancellationRequested)
                {
                    var request = new HeartbeatRequest { AgentId = _agentId };
                    request.Sessions.AddRange(_held.Select(h => new SessionLease { SessionId = h.Key, LeaseEpoch = h.Value }));
                    var started = Stopwatch.GetTimestamp();
                    await _client.HeartbeatAsync(request, _credential, cancellationToken: stop);
                    Latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    await Task.WhenAny(Task.Delay(interval, stop), _nudge.WaitAsync(stop));
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
            {
            }
        }

        private async Task ReceiveAsync(AsyncServerStreamingCall<GridTrain.Protos.V1.AgentCommand> call, ConcurrentDictionary<string, long> placed)
        {
            try
            {
                await foreach (var command in call.ResponseStream.ReadAllAsync())
                {
                    if (command.CommandCase == GridTrain.Protos.V1.AgentCommand.CommandOneofCase.AssignSession)
                    {
                        placed.TryAdd(command.AssignSession.SessionId, Stopwatch.GetTimestamp());
                        _held[command.AssignSession.SessionId] = command.AssignSession.LeaseEpoch;
                        _nudge.Release();
                    }
                }
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled)
            {
            }
            finally
            {
                call.Dispose();
            }
        }
    }
}
