using GridTrain.Controller.Storage.Sql;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Agents;
using GridTrain.Domain.Coordination;
using GridTrain.Domain.Sessions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace GridTrain.IntegrationTests.Storage;

/// <summary>
/// SQLite in WAL mode with synchronous=NORMAL may lose its newest commits on power loss. The controller restarts on
/// the database files as they were at an earlier commit (copied then, as a power loss would leave the disk), and an
/// agent holds a lease the database forgot: no lease epoch may be issued twice.
/// </summary>
public sealed class LostCommitsTests : IDisposable
{
    private static readonly Inventory OneSlot = new(2, 4L << 30, [], 1);

    private readonly string _directory = Directory.CreateTempSubdirectory("gt-lost-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 5, 8, 0, 0, TimeSpan.Zero));

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task RestartOnADatabaseThatLostItsLastWalFrames_TheAgentsNewerLeaseIsAdopted_AndTheNextEpochIsAboveIt()
    {
        var live = Path.Combine(_directory, "live");
        var image = Path.Combine(_directory, "after-power-loss");
        Directory.CreateDirectory(live);
        string sessionId;
        await using (var store = await SqliteGridStore.OpenAsync(Path.Combine(live, "controller.db"), default))
        {
            var grid = Coordinator(store);
            var agent = (await grid.RegisterAgentAsync("a", OneSlot, "test", [], [], default)).Agent;
            await grid.OpenCommandStreamAsync(agent.Id, default);
            var session = await grid.CreateSessionAsync(ResourceRequest.Cpu, 0, "", default);
            sessionId = session.Id;
            await grid.HeartbeatAsync(agent.Id, [new HeldSessionReport(sessionId, 1, null)], [], default);
            Assert.Equal((SessionState.Ready, 1L), await StateAsync(grid, sessionId));

            // What reached the disk: the files as they are now. Later commits are lost.
            CopyDatabase(live, image);

            // The agent is lost, comes back, and the session is placed on it again under epoch 2: commits the image lacks.
            _time.Advance(grid.Options.AgentTimeout + TimeSpan.FromSeconds(1));
            await grid.SweepAsync(default);
            await grid.RegisterAgentAsync("a", OneSlot, "test", [], [], default);
            await grid.OpenCommandStreamAsync(agent.Id, default);
            await grid.HeartbeatAsync(agent.Id, [new HeldSessionReport(sessionId, 2, null)], [], default);
            Assert.Equal((SessionState.Ready, 2L), await StateAsync(grid, sessionId));
        }

        await using (var restored = await SqliteGridStore.OpenAsync(Path.Combine(image, "controller.db"), default))
        {
            var grid = Coordinator(restored);
            Assert.Equal((SessionState.Ready, 1L), await StateAsync(grid, sessionId));

            // The agent re-registers holding epoch 2: newer than the database, so the database adopts it.
            var agent = (await grid.RegisterAgentAsync("a", OneSlot, "test", [new HeldSessionReport(sessionId, 2, null)], [], default)).Agent;
            Assert.Equal((SessionState.Ready, 2L), await StateAsync(grid, sessionId));

            // The next placement is above every epoch the agent has seen.
            _time.Advance(grid.Options.AgentTimeout + TimeSpan.FromSeconds(1));
            await grid.SweepAsync(default);
            var rejoined = await grid.RegisterAgentAsync("a", OneSlot, "test", [], [], default);
            var commands = await grid.OpenCommandStreamAsync(agent.Id, default);
            Assert.True(commands.TryRead(out var directive));
            if (directive is SyncComplete)
            {
                Assert.True(commands.TryRead(out directive));
            }

            Assert.Equal(3, Assert.IsType<AssignSession>(directive).LeaseEpoch);
            Assert.Equal(agent.Id, rejoined.Agent.Id);
        }
    }

    [Fact]
    public async Task AnAgentHoldsALeaseNewerThanARecordThatPlacesTheSessionElsewhere_BothReleaseIt_AndItIsPlacedAboveIt()
    {
        await using var store = await SqliteGridStore.OpenAsync(Path.Combine(_directory, "controller.db"), default);
        var grid = Coordinator(store);
        var a = (await grid.RegisterAgentAsync("a", OneSlot, "test", [], [], default)).Agent;
        var aCommands = await grid.OpenCommandStreamAsync(a.Id, default);
        var session = await grid.CreateSessionAsync(ResourceRequest.Cpu, 0, "", default);
        await grid.HeartbeatAsync(a.Id, [new HeldSessionReport(session.Id, 1, null)], [], default);
        while (aCommands.TryRead(out _))
        {
        }

        // Agent b holds epoch 4 of the session from a history the store lost.
        var b = (await grid.RegisterAgentAsync("b", OneSlot, "test", [new HeldSessionReport(session.Id, 4, null)], [], default));

        Assert.Contains(b.Instructions.ReleaseSessionIds, r => r == session.Id);
        Assert.True(aCommands.TryRead(out var release));
        Assert.Equal(session.Id, Assert.IsType<ReleaseSession>(release).SessionId);
        var placed = await grid.GetSessionAsync(session.Id, default);
        Assert.True(placed.LeaseEpoch >= 5, $"placed again under epoch {placed.LeaseEpoch}; agent b held 4");
    }

    private GridCoordinator Coordinator(SqliteGridStore store) =>
        new(store, _time, new RandomIdGenerator(), new GridOptions(), NullLogger<GridCoordinator>.Instance);

    private static async Task<(SessionState, long)> StateAsync(GridCoordinator grid, string sessionId)
    {
        var session = await grid.GetSessionAsync(sessionId, default);
        return (session.State, session.LeaseEpoch);
    }

    private static void CopyDatabase(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var suffix in new[] { "", "-wal" })
        {
            var source = Path.Combine(from, "controller.db" + suffix);
            if (File.Exists(source))
            {
                using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var output = File.Create(Path.Combine(to, "controller.db" + suffix));
                input.CopyTo(output);
            }
        }
    }
}
