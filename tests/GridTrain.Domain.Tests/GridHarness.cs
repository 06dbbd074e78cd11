using System.Threading.Channels;
using GridTrain.Controller.Storage;
using GridTrain.Domain.Agents;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Sessions;
using GridTrain.Domain.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace GridTrain.Domain.Tests;

/// <summary>A coordinator over an in-memory store with a driven clock, and agents as plain command readers.</summary>
internal sealed class GridHarness
{
    public GridHarness(GridOptions? options = null)
    {
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero));
        Grid = new GridCoordinator(Store, Time, new SequentialIds(), options ?? new GridOptions(), NullLogger<GridCoordinator>.Instance, Instruments);
    }

    /// <summary>The coordinator's metrics, on a meter of its own.</summary>
    public GridInstruments Instruments { get; } = new();

    public InMemoryGridStore Store { get; } = new();

    public FakeTimeProvider Time { get; }

    public GridCoordinator Grid { get; }

    public async Task<TestAgent> ConnectAsync(string name, int cpuSlots = 1, int gpus = 0, string gpuModel = "NVIDIA L4")
    {
        var inventory = new Inventory(8, 32L << 30, [.. Enumerable.Range(0, gpus).Select(i => new GpuDevice(i, $"GPU-{name}-{i}", gpuModel, 24L << 30))], cpuSlots);
        var registration = await Grid.RegisterAgentAsync(name, inventory, "test", [], [], CancellationToken.None);
        var commands = await Grid.OpenCommandStreamAsync(registration.Agent.Id, CancellationToken.None);
        return new TestAgent(this, registration.Agent.Id, commands);
    }

    public static JobSpec Spec() => new()
    {
        Model = new ModelSpec { Name = ModelKind.Mlp },
        Data = new DataSpec { Synthetic = new SyntheticDataSpec { TrainExamples = 64 } },
    };

    private sealed class SequentialIds : IIdGenerator
    {
        private int _next;

        public string NewId(string prefix) => $"{prefix}-{Interlocked.Increment(ref _next):D3}";
    }
}

/// <summary>An agent as the coordinator sees it: an id and a command stream; it confirms what it is given.</summary>
internal sealed class TestAgent(GridHarness harness, string id, ChannelReader<AgentDirective> commands)
{
    private readonly Dictionary<string, long> _held = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _running = new(StringComparer.Ordinal);

    public string Id { get; } = id;

    /// <summary>Commands received since the last call, applied to what the agent holds and runs (the catch-up's end marker left out).</summary>
    public List<AgentDirective> Receive()
    {
        var received = new List<AgentDirective>();
        while (commands.TryRead(out var command))
        {
            if (command is SyncComplete)
            {
                continue;
            }

            received.Add(command);
            switch (command)
            {
                case AssignSession a:
                    _held[a.SessionId] = a.LeaseEpoch;
                    break;
                case ReleaseSession r:
                    _held.Remove(r.SessionId);
                    break;
                case StartJob s:
                    _running[s.JobId] = s.LeaseEpoch;
                    break;
                case CancelJob c:
                    _running.Remove(c.JobId);
                    break;
            }
        }

        return received;
    }

    /// <summary>
    /// Heartbeats with what the agent holds and runs; <paramref name="gpuUtilization"/> is every held session's GPU
    /// reading, <paramref name="gpuHealth"/> its GPUs' health (none reported when null).
    /// </summary>
    public Task<AgentInstructions> HeartbeatAsync(double? gpuUtilization = null, IReadOnlyList<Agents.Health.GpuHealth>? gpuHealth = null) => harness.Grid.HeartbeatAsync(
        Id,
        [.. _held.Select(h => new HeldSessionReport(h.Key, h.Value, gpuUtilization))],
        [.. _running.Select(r => new RunningJobReport(r.Key, r.Value))],
        CancellationToken.None,
        gpuHealth);

    /// <summary>Heartbeats with what the agent holds and runs, and a reading of the machine's use.</summary>
    public Task<AgentInstructions> HeartbeatAsync(AgentResources resources) => harness.Grid.HeartbeatAsync(
        Id,
        [.. _held.Select(h => new HeldSessionReport(h.Key, h.Value))],
        [.. _running.Select(r => new RunningJobReport(r.Key, r.Value))],
        resources,
        CancellationToken.None);

    /// <summary>Receives assignments and confirms them, as a real agent's next heartbeat would.</summary>
    public async Task<List<AgentDirective>> SyncAsync()
    {
        var received = Receive();
        await HeartbeatAsync();
        received.AddRange(Receive());
        return received;
    }

    public Task FinishAsync(StartJob job, JobResult result)
    {
        _running.Remove(job.JobId);
        return harness.Grid.ReportJobResultAsync(Id, job.JobId, job.LeaseEpoch, result, CancellationToken.None);
    }

    public static JobResult Succeeded(long steps = 10) => new() { State = JobState.Succeeded, Steps = steps, TestAccuracy = 0.9, CheckpointUri = "/ckpt/final" };
}
