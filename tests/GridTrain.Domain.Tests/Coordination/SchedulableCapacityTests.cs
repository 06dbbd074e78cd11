using System.Threading.Channels;
using GridTrain.Controller.Storage;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Agents;
using GridTrain.Domain.Agents.Health;
using GridTrain.Domain.Coordination;
using GridTrain.Domain.Eviction;
using GridTrain.Domain.Scheduling;
using GridTrain.Domain.Sessions;
using GridTrain.Domain.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace GridTrain.Domain.Tests.Coordination;

/// <summary>
/// The free capacity kept between scheduling passes must always equal the capacity computed from scratch, whatever
/// changed in between: placements, releases, cordons, streams closing and opening, GPU faults and recoveries, batches
/// that failed to save.
/// </summary>
public sealed class SchedulableCapacityTests
{
    private const int AgentCount = 6;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 6, 8, 0, 0, TimeSpan.Zero));
    private readonly InMemoryGridStore _store = new();
    private readonly AgentDirectiveBus _bus = new();
    private readonly GpuFaults _faults;
    private readonly SchedulableCapacity _capacity;
    private readonly Dictionary<string, ChannelReader<AgentDirective>> _streams = [];
    private int _sessions;

    public SchedulableCapacityTests()
    {
        _faults = new GpuFaults(new Evictions(new GridOptions(), new SessionActivity(_time, 0.05), NullLogger.Instance), NullLogger.Instance);
        _capacity = new SchedulableCapacity(_bus, _faults);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task KeptBetweenPasses_EqualsCapacityComputedFromScratch_AfterEveryKindOfChange(int seed)
    {
        var random = new Random(seed);
        await BatchAsync(tx =>
        {
            for (var i = 0; i < AgentCount; i++)
            {
                tx.Put(NewAgent($"agt-{i}", gpus: i % 3 == 2 ? 0 : 4));
                Open($"agt-{i}");
            }

            return ValueTask.CompletedTask;
        });

        for (var step = 0; step < 400; step++)
        {
            var agentId = $"agt-{random.Next(AgentCount)}";
            switch (random.Next(8))
            {
                case 0 or 1 or 2:
                    await BatchAsync(tx => PlaceNewSessionAsync(tx, random.Next(3) == 0 ? Runtime.Cpu : Runtime.Gpu, 1 + random.Next(2)));
                    break;
                case 3:
                    await BatchAsync(async tx =>
                    {
                        var held = await tx.ListHeldSessionsAsync(null);
                        if (held.Count > 0)
                        {
                            var session = held[random.Next(held.Count)];
                            tx.Put(random.Next(2) == 0 ? session.End(SessionState.Terminated, "test", tx.Now) : session.Requeue("test", tx.Now), session);
                        }
                    });
                    break;
                case 4:
                    await BatchAsync(async tx =>
                    {
                        var agent = (await tx.FindAgentAsync(agentId))!;
                        tx.Put(agent with { Cordoned = !agent.Cordoned });
                    });
                    break;
                case 5:
                    if (!_streams.Remove(agentId, out var stream))
                    {
                        Open(agentId);
                    }
                    else
                    {
                        _bus.Close(agentId, stream);
                    }

                    break;
                case 6:
                    _faults.Note(agentId, [.. Enumerable.Range(0, 4).Select(i => random.Next(4) == 0 ? new GpuHealth(i, $"GPU-{i}", GpuFaultCause.Xid, "Xid 79") : GpuHealth.Ok(i, $"GPU-{i}"))]);
                    break;
                default:
                    // A batch that places a session and then fails to save: nothing of it may stick.
                    await BatchAsync(tx => PlaceNewSessionAsync(tx, Runtime.Gpu, 1), save: false);
                    break;
            }

            var kept = await _capacity.CurrentAsync(View());
            var expected = await FromScratchAsync();
            for (var i = 0; i < AgentCount; i++)
            {
                var id = $"agt-{i}";
                var (gpus, slots) = kept.Of(id) ?? ([], -1);
                var (expectedGpus, expectedSlots) = expected.Of(id) ?? ([], -1);
                Assert.True(gpus.SequenceEqual(expectedGpus) && slots == expectedSlots, $"step {step}, {id}: kept [{string.Join(',', gpus)}] {slots} slots, computed [{string.Join(',', expectedGpus)}] {expectedSlots} slots");
            }
        }
    }

    /// <summary>A scheduling pass for one new session: placed where the kept capacity says, as the coordinator does.</summary>
    private async ValueTask PlaceNewSessionAsync(GridTransaction tx, Runtime runtime, int gpus)
    {
        var pending = NewSession(runtime, gpus);
        tx.Put(pending, null);
        foreach (var placement in Scheduler.Place([pending], await _capacity.CurrentAsync(tx)))
        {
            tx.Put(pending.Place(placement.AgentId, placement.GpuIndexes, 1, tx.Now), pending);
        }
    }

    /// <summary>What each schedulable agent has left, computed from the store alone.</summary>
    private async Task<FreeCapacity> FromScratchAsync()
    {
        var view = View();
        var free = new FreeCapacity();
        foreach (var agent in await view.ListAgentsAsync())
        {
            if (agent.State == AgentState.Ready && !agent.Cordoned && _bus.IsOpen(agent.Id))
            {
                free.Set(AgentCapacity.Of(agent, await view.ListHeldSessionsAsync(agent.Id), _faults.Unhealthy(agent.Id)));
            }
        }

        return free;
    }

    /// <summary>Runs <paramref name="write"/> as a batch: saved (or not), then reported to the kept capacity as the runner does.</summary>
    private async Task BatchAsync(Func<GridTransaction, ValueTask> write, bool save = true)
    {
        _time.Advance(TimeSpan.FromSeconds(1));
        var tx = View();
        await write(tx);
        if (save)
        {
            await _store.SaveAsync(tx.Changes, CancellationToken.None);
        }

        _capacity.BatchEnded(tx.Changes, save);
    }

    private GridTransaction View() => new(_store, _time.GetUtcNow(), CancellationToken.None);

    private void Open(string agentId) => _streams[agentId] = _bus.Open(agentId, []);

    private Session NewSession(Runtime runtime, int gpus) => new()
    {
        Id = $"ses-{++_sessions}",
        Resources = runtime == Runtime.Gpu ? new ResourceRequest(Runtime.Gpu, gpus) : ResourceRequest.Cpu,
        CreatedAt = _time.GetUtcNow(),
        UpdatedAt = _time.GetUtcNow(),
        QueueOrder = _sessions,
    };

    private Agents.Agent NewAgent(string id, int gpus) => new()
    {
        Id = id,
        Name = id,
        Inventory = new Inventory(8, 8L << 30, [.. Enumerable.Range(0, gpus).Select(i => new GpuDevice(i, $"GPU-{i}", "NVIDIA H100", 80L << 30))], 2),
        RegisteredAt = _time.GetUtcNow(),
        LastHeartbeatAt = _time.GetUtcNow(),
    };
}
