using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using GridTrain.Protos.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace GridTrain.Bench.Scenarios;

/// <summary>
/// The child side of the control-plane benchmark (<c>controlplane-fleet</c>, not for direct use): hosts a slice of the
/// simulated fleet, each agent with its own <see cref="GrpcChannel"/> and connection as a separate machine would have,
/// and reports to the parent as JSON lines on stdout until its stdin closes:
/// <c>{"t":"stats","registered":…,"reregistered":…,"heartbeat_errors":…,"gc_paused_ms":…,"lat":[ms…],"lat_gc":[ms…]}</c>
/// every 250 ms (<c>lat_gc</c>: heartbeats during which this process itself collected garbage) and
/// <c>{"t":"placed","s":SESSION,"at":TIMESTAMP}</c> per AssignSession received. Timestamps are
/// <see cref="Stopwatch.GetTimestamp"/>, CLOCK_MONOTONIC on Linux, so comparable with the parent's.
/// </summary>
internal static class ControlPlaneFleet
{
    private const int RegisterConcurrency = 32;

    public static async Task<int> RunAsync(string[] args)
    {
        var address = new Uri(Text(args, "--address"));
        var joinToken = Text(args, "--join");
        var first = int.Parse(Text(args, "--first"), CultureInfo.InvariantCulture);
        var count = int.Parse(Text(args, "--count"), CultureInfo.InvariantCulture);
        var interval = TimeSpan.FromMilliseconds(int.Parse(Text(args, "--heartbeat-ms"), CultureInfo.InvariantCulture));
        var overStream = Text(args, "--heartbeats") == "stream";

        using var stop = new CancellationTokenSource();
        var report = new FleetReport();
        var writer = report.WriteAsync(stop.Token);
        var stdinClosed = Task.Run(async () =>
        {
            while (await Console.In.ReadLineAsync() is not null)
            {
            }

            await stop.CancelAsync();
        });

        var agents = new List<Task>(count);
        using var gate = new SemaphoreSlim(RegisterConcurrency);
        for (var i = first; i < first + count && !stop.IsCancellationRequested; i++)
        {
            try
            {
                await gate.WaitAsync(stop.Token);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }

            var agent = new SimulatedAgent(address, $"sim-{i:D5}", joinToken, report);
            agents.Add(agent.RunAsync(interval, overStream, gate, stop.Token));
        }

        await stdinClosed;
        await Task.WhenAll(agents);
        report.Complete();
        await writer;
        return 0;
    }

    private static string Text(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : throw new ArgumentException($"{name} is required");
    }

    /// <summary>An agent reduced to its protocol, on its own connection: register, hold the command stream, confirm assignments, heartbeat.</summary>
    private sealed class SimulatedAgent(Uri address, string name, string joinToken, FleetReport report)
    {
        private readonly ConcurrentDictionary<string, long> _held = new(StringComparer.Ordinal);
        // Completed when an assignment arrives, so the next heartbeat confirms it at once; replaced once it has woken the
        // loop. (A semaphore's WaitAsync abandoned by Task.WhenAny stays queued: one leaked waiter per heartbeat.)
        private TaskCompletionSource _nudge = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task RunAsync(TimeSpan interval, bool overStream, SemaphoreSlim registering, CancellationToken stop)
        {
            using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
            {
                HttpHandler = new SocketsHttpHandler { PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan },
            });
            var client = new AgentService.AgentServiceClient(channel);
            try
            {
                var (agentId, credential, commands, receiving) = await RegisterAsync(client, stop);
                registering.Release();
                report.Registered();
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * interval.TotalMilliseconds), stop);
                AsyncDuplexStreamingCall<HeartbeatRequest, HeartbeatResponse>? stream = null;
                while (!stop.IsCancellationRequested)
                {
                    var request = new HeartbeatRequest { AgentId = agentId };
                    request.Sessions.AddRange(_held.Select(h => new SessionLease { SessionId = h.Key, LeaseEpoch = h.Value }));
                    var started = Stopwatch.GetTimestamp();
                    var collections = GC.CollectionCount(0);
                    try
                    {
                        HeartbeatResponse answer;
                        if (overStream)
                        {
                            // As the agent does: one long-lived Heartbeats stream, reopened after a failure.
                            stream ??= client.Heartbeats(credential, cancellationToken: stop);
                            await stream.RequestStream.WriteAsync(request, stop);
                            answer = await stream.ResponseStream.MoveNext(stop) ? stream.ResponseStream.Current : throw new RpcException(stream.GetStatus());
                        }
                        else
                        {
                            answer = await client.HeartbeatAsync(request, credential, deadline: TimeProvider.System.GetUtcNow().UtcDateTime.AddSeconds(30), cancellationToken: stop);
                        }

                        report.Heartbeat(Stopwatch.GetElapsedTime(started).TotalMilliseconds, GC.CollectionCount(0) != collections);
                        foreach (var released in answer.ReleaseSessionIds)
                        {
                            _held.TryRemove(released, out _);
                        }
                    }
                    catch (RpcException ex) when (ex.StatusCode is not StatusCode.Cancelled && !stop.IsCancellationRequested)
                    {
                        report.HeartbeatFailed(ex);
                        stream?.Dispose();
                        stream = null;
                        if (ex.StatusCode is StatusCode.NotFound or StatusCode.FailedPrecondition or StatusCode.Unauthenticated or StatusCode.PermissionDenied)
                        {
                            // As a real agent does when the controller no longer knows it: register again.
                            commands.Dispose();
                            await receiving;
                            _held.Clear();
                            (agentId, credential, commands, receiving) = await RegisterAsync(client, stop);
                            report.Reregistered();
                            continue;
                        }
                    }

                    var nudge = Volatile.Read(ref _nudge);
                    await Task.WhenAny(Task.Delay(interval, stop), nudge.Task);
                    if (nudge.Task.IsCompleted)
                    {
                        Interlocked.CompareExchange(ref _nudge, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), nudge);
                    }
                }

                stream?.Dispose();
                commands.Dispose();
                await receiving;
            }
            catch (Exception ex) when (stop.IsCancellationRequested && ex is OperationCanceledException or RpcException)
            {
            }
        }

        /// <summary>Registers and opens the command stream; <c>Receiving</c> ends when the stream does (dispose <c>Commands</c> to end it).</summary>
        private async Task<(string AgentId, Metadata Credential, AsyncServerStreamingCall<GridTrain.Protos.V1.AgentCommand> Commands, Task Receiving)> RegisterAsync(AgentService.AgentServiceClient client, CancellationToken stop)
        {
            var inventory = new Inventory { CpuCores = 64, MemoryBytes = 512L << 30, CpuSlots = 4 };
            inventory.Gpus.AddRange(Enumerable.Range(0, 8).Select(i => new GpuDevice { Index = i, Uuid = $"GPU-{name}-{i}", Model = "NVIDIA H100 80GB HBM3", MemoryBytes = 80L << 30 }));
            var request = new RegisterAgentRequest { Name = name, Inventory = inventory, Version = "sim" };
            request.Sessions.AddRange(_held.Select(h => new SessionLease { SessionId = h.Key, LeaseEpoch = h.Value }));
            var join = new Metadata { { "authorization", "Bearer " + joinToken } };
            while (true)
            {
                try
                {
                    var response = await client.RegisterAsync(request, join, deadline: TimeProvider.System.GetUtcNow().UtcDateTime.AddSeconds(60), cancellationToken: stop);
                    var credential = new Metadata { { "authorization", "Bearer " + response.AgentCredential } };
                    var commands = client.ReceiveCommands(new ReceiveCommandsRequest { AgentId = response.AgentId }, credential, cancellationToken: stop);
                    return (response.AgentId, credential, commands, ReceiveAsync(commands));
                }
                catch (RpcException ex) when (ex.StatusCode is not StatusCode.Cancelled || !stop.IsCancellationRequested)
                {
                    // The join token's rate limit is shared by every joining agent, and an overloaded controller times
                    // out or drops calls: back off and retry, as agents do.
                    report.RegisterRefused();
                    await Task.Delay(TimeSpan.FromMilliseconds(200 + Random.Shared.Next(800)), stop);
                }
            }
        }

        private async Task ReceiveAsync(AsyncServerStreamingCall<GridTrain.Protos.V1.AgentCommand> call)
        {
            try
            {
                await foreach (var command in call.ResponseStream.ReadAllAsync())
                {
                    if (command.CommandCase == GridTrain.Protos.V1.AgentCommand.CommandOneofCase.AssignSession)
                    {
                        report.Placed(command.AssignSession.SessionId, Stopwatch.GetTimestamp());
                        _held[command.AssignSession.SessionId] = command.AssignSession.LeaseEpoch;
                        Volatile.Read(ref _nudge).TrySetResult();
                    }
                    else if (command.CommandCase == GridTrain.Protos.V1.AgentCommand.CommandOneofCase.ReleaseSession)
                    {
                        _held.TryRemove(command.ReleaseSession.SessionId, out _);
                    }
                }
            }
            catch (Exception ex) when (ex is RpcException or ObjectDisposedException or OperationCanceledException)
            {
                // The stream ends when the agent re-registers or the run stops; a broken stream shows as heartbeat errors.
            }
        }
    }
}
