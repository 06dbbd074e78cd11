using GridTrain.Domain.Agents;
using GridTrain.Domain.Scheduling;
using GridTrain.Domain.Sessions;

namespace GridTrain.Domain.Tests;

public sealed class SchedulerTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 27, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Place_GpuSession_ChoosesTheAgentLeftWithFewestFreeGpus()
    {
        var big = Agent("big", gpus: 8);
        var small = Agent("small", gpus: 2);

        var placements = Scheduler.Place([Gpu("s1", 2)], [big, small]);

        var placement = Assert.Single(placements);
        Assert.Equal("small", placement.AgentId);
        Assert.Equal([0, 1], placement.GpuIndexes);
    }

    [Fact]
    public void Place_GpuModelConstraint_OnlyMatchingGpus()
    {
        var a100 = Agent("a100", gpus: 1, model: "NVIDIA A100-SXM4-80GB");
        var h100 = Agent("h100", gpus: 4, model: "NVIDIA H100 80GB HBM3");

        var placement = Assert.Single(Scheduler.Place([Gpu("s1", 1, model: "h100")], [a100, h100]));

        Assert.Equal("h100", placement.AgentId);
    }

    [Fact]
    public void Place_HigherPriorityFirst_ThenFifo()
    {
        var agent = Agent("one", gpus: 1);
        var early = Gpu("early", 1, order: 1);
        var late = Gpu("late", 1, order: 2);
        var urgent = Gpu("urgent", 1, order: 3, priority: 10);

        var placement = Assert.Single(Scheduler.Place([late, early, urgent], [agent]));
        Assert.Equal("urgent", placement.SessionId);

        placement = Assert.Single(Scheduler.Place([late, early], [agent]));
        Assert.Equal("early", placement.SessionId);
    }

    [Fact]
    public void Place_SessionThatFitsNowhere_DoesNotBlockSmallerOnes()
    {
        var agent = Agent("two", gpus: 2);

        var placement = Assert.Single(Scheduler.Place([Gpu("huge", 4, order: 1), Gpu("small", 1, order: 2)], [agent]));

        Assert.Equal("small", placement.SessionId);
    }

    [Fact]
    public void Place_CpuSession_PrefersMachinesWithoutGpus_AndRespectsSlots()
    {
        var gpuMachine = Agent("gpu", gpus: 4, cpuSlots: 4);
        var cpuMachine = Agent("cpu", gpus: 0, cpuSlots: 1);

        var placements = Scheduler.Place([Cpu("c1", 1), Cpu("c2", 2), Cpu("c3", 3)], [gpuMachine, cpuMachine]);

        Assert.Equal(["cpu", "gpu", "gpu"], placements.Select(p => p.AgentId));
        Assert.All(placements, p => Assert.Empty(p.GpuIndexes));
    }

    [Fact]
    public void Place_NoCapacity_NothingPlaced()
    {
        Assert.Empty(Scheduler.Place([Gpu("s", 1), Cpu("c", 2)], [Agent("full", gpus: 0, cpuSlots: 0)]));
    }

    [Fact]
    public void Place_GpusGivenOut_NeverTwiceInOnePass()
    {
        var placements = Scheduler.Place([Gpu("a", 1, order: 1), Gpu("b", 1, order: 2), Gpu("c", 1, order: 3)], [Agent("two", gpus: 2)]);

        Assert.Equal(2, placements.Count);
        Assert.Equal(2, placements.SelectMany(p => p.GpuIndexes).Distinct().Count());
    }

    [Fact]
    public void Place_ManySessionsInOnePass_EachChoosesByWhatEarlierOnesLeft()
    {
        // Free GPUs change as the pass places: a, b and c tie or swap places in the best-fit order as they fill up.
        var agents = new[] { Agent("c", gpus: 2), Agent("a", gpus: 4), Agent("b", gpus: 2), Agent("d", gpus: 0, cpuSlots: 1) };
        Session[] sessions = [Gpu("s1", 2, order: 1), Gpu("s2", 1, order: 2), Gpu("s3", 2, order: 3), Gpu("s4", 1, order: 4), Gpu("s5", 4, order: 5), Cpu("c1", 6), Cpu("c2", 7)];

        var placed = Scheduler.Place(sessions, agents).ToDictionary(p => p.SessionId, p => (p.AgentId, string.Join(",", p.GpuIndexes)));

        Assert.Equal(("b", "0,1"), placed["s1"]);
        Assert.Equal(("c", "0"), placed["s2"]);
        Assert.Equal(("c", "1"), placed["s4"]);
        Assert.Equal(("a", "0,1"), placed["s3"]);
        Assert.False(placed.ContainsKey("s5"));
        Assert.Equal("d", placed["c1"].AgentId);
        Assert.Equal("a", placed["c2"].AgentId);
    }

    private static AgentCapacity Agent(string id, int gpus, int cpuSlots = 2, string model = "NVIDIA L4") =>
        new(id, [.. Enumerable.Range(0, gpus).Select(i => new GpuDevice(i, $"GPU-{id}-{i}", model, 24L << 30))], cpuSlots, gpus);

    private static Session Gpu(string id, int count, long order = 1, int priority = 0, string model = "") =>
        New(id, new ResourceRequest(Runtime.Gpu, count, model), order, priority);

    private static Session Cpu(string id, long order) => New(id, ResourceRequest.Cpu, order, 0);

    private static Session New(string id, ResourceRequest resources, long order, int priority) =>
        new() { Id = id, Resources = resources, QueueOrder = order, Priority = priority, CreatedAt = s_now, UpdatedAt = s_now };
}
