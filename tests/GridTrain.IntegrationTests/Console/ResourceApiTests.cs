using System.Text.Json.Nodes;
using Grpc.Core;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;

namespace GridTrain.IntegrationTests.Console;

/// <summary>
/// The JSON API of "view resources" and the live fleet, with plain HttpClient against a real controller and an agent
/// reduced to its protocol: a session sees its own GPU of the agent's heartbeat reading and the agent's RAM and disk,
/// live from the stream; a bad reading is refused naming the field; the agent list is sent again when one is cordoned.
/// </summary>
public sealed class ResourceApiTests(WebControllerFixture controller) : IClassFixture<WebControllerFixture>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task SessionResources_ItsOwnGpuAndTheAgentsRamAndDisk_LiveFromTheStream()
    {
        using var alice = controller.Api(controller.AliceToken);
        using var bob = controller.Api(controller.BobToken);
        using var timeout = new CancellationTokenSource(s_timeout);
        var (agent, commands) = await GpuAgentAsync("resources-node");
        using var _ = commands;
        var created = await alice.OkAsync(HttpMethod.Post, "/v1/sessions", new { resources = new { runtime = "RUNTIME_GPU", gpuCount = 1, gpuModel = "H100" } });
        var id = (string)created["id"]!;
        var lease = await AssignmentAsync(commands, id, timeout.Token);
        var mine = Assert.Single(lease.GpuIndexes);
        await HeartbeatAsync(agent, lease, (mine, 0.25), (1 - mine, 0.9));

        var resources = await alice.GetAsync($"/v1/sessions/{id}/resources");

        Assert.Equal("resources-node", (string?)resources["agentName"]);
        var gpu = Assert.Single(resources["gpus"]!.AsArray())!;
        Assert.Equal(mine, (int?)gpu["index"] ?? 0);
        Assert.Equal("NVIDIA H100 80GB HBM3", (string?)gpu["model"]);
        Assert.Equal(0.25, (double?)gpu["utilization"]);
        Assert.Equal(3L << 30, Bytes(gpu["memoryUsedBytes"]));
        Assert.Equal(16L << 30, Bytes(resources["memory"]!["totalBytes"]));
        Assert.Equal(40L << 30, Bytes(resources["disk"]!["usedBytes"]));
        Assert.NotNull(resources["readAt"]);
        Assert.Equal(404, (await bob.SendAsync(HttpMethod.Get, $"/v1/sessions/{id}/resources")).Status);

        await using var live = alice.FollowAsync($"/v1/sessions/{id}/resources:watch", timeout.Token).GetAsyncEnumerator(timeout.Token);
        Assert.True(await live.MoveNextAsync());
        Assert.Equal(0.25, (double?)live.Current["gpus"]![0]!["utilization"]);
        await HeartbeatAsync(agent, lease, (mine, 0.5), (1 - mine, 0.9));
        Assert.True(await live.MoveNextAsync());
        Assert.Equal(0.5, (double?)live.Current["gpus"]![0]!["utilization"]);
        await alice.OkAsync(HttpMethod.Delete, $"/v1/sessions/{id}");
        Assert.True(await live.MoveNextAsync());
        Assert.Null(live.Current["agentId"]);
        Assert.Null(live.Current["gpus"]);
    }

    [Fact]
    public async Task BadReadingInAHeartbeat_InvalidArgument_NamingTheField()
    {
        var (agent, commands) = await GpuAgentAsync("bad-reading-node");
        using var _ = commands;
        var request = new HeartbeatRequest
        {
            AgentId = agent.AgentId,
            Resources = new AgentResources { Memory = new SpaceUse { UsedBytes = 2, TotalBytes = 1 }, Gpus = { new GpuTelemetry { Index = 0, Utilization = 1.5 } } },
        };

        var refused = await Assert.ThrowsAsync<RpcException>(() => agent.Client.HeartbeatAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("resources.memory.used_bytes", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("resources.gpus.utilization", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WatchAgents_SendsTheListAgain_WhenAnAgentIsCordoned()
    {
        using var alice = controller.Api(controller.AliceToken);
        using var timeout = new CancellationTokenSource(s_timeout);
        var agent = await TestAgent.RegisterAsync(controller.Admin.Channel, "watched-node");
        await using var live = alice.FollowAsync("/v1/agents:watch", timeout.Token).GetAsyncEnumerator(timeout.Token);
        Assert.True(await live.MoveNextAsync());
        Assert.False(Cordoned(live.Current, agent.AgentId));

        await controller.Admin.Fleet.CordonAgentAsync(new CordonAgentRequest { AgentId = agent.AgentId }, cancellationToken: timeout.Token);

        while (!Cordoned(live.Current, agent.AgentId))
        {
            Assert.True(await live.MoveNextAsync(), "the stream ended before it showed the cordon");
        }
    }

    /// <summary>An int64 as proto3 JSON may write it: a number, or a string of one.</summary>
    private static long Bytes(JsonNode? value) =>
        value!.GetValueKind() == System.Text.Json.JsonValueKind.String ? long.Parse((string)value!, System.Globalization.CultureInfo.InvariantCulture) : (long)value;

    private static bool Cordoned(JsonObject list, string agentId) =>
        list["agents"]!.AsArray().Any(a => (string?)a!["id"] == agentId && (bool?)a["cordoned"] == true);

    /// <summary>An agent with two H100s and no CPU slots, its command stream open so sessions are placed on it.</summary>
    private async Task<(TestAgent Agent, AsyncServerStreamingCall<AgentCommand> Commands)> GpuAgentAsync(string name)
    {
        var inventory = new Inventory
        {
            CpuCores = 8,
            MemoryBytes = 16L << 30,
            Gpus =
            {
                new GpuDevice { Index = 0, Uuid = $"GPU-{name}-0", Model = "NVIDIA H100 80GB HBM3", MemoryBytes = 80L << 30 },
                new GpuDevice { Index = 1, Uuid = $"GPU-{name}-1", Model = "NVIDIA H100 80GB HBM3", MemoryBytes = 80L << 30 },
            },
        };
        var agent = await TestAgent.RegisterAsync(controller.Admin.Channel, name, inventory);
        return (agent, agent.Client.ReceiveCommands(new ReceiveCommandsRequest { AgentId = agent.AgentId }));
    }

    private static async Task<AssignSession> AssignmentAsync(AsyncServerStreamingCall<AgentCommand> commands, string sessionId, CancellationToken cancellationToken)
    {
        while (await commands.ResponseStream.MoveNext(cancellationToken))
        {
            if (commands.ResponseStream.Current.AssignSession is { } assign && assign.SessionId == sessionId)
            {
                return assign;
            }
        }

        throw new InvalidOperationException("the command stream ended before the session was assigned");
    }

    /// <summary>A heartbeat holding the lease, with RAM 8 of 16 GiB, disk 40 of 100 GiB and each GPU at its utilization, 3 of 80 GiB used.</summary>
    private static Task HeartbeatAsync(TestAgent agent, AssignSession lease, params (int Index, double Utilization)[] gpus) =>
        agent.Client.HeartbeatAsync(new HeartbeatRequest
        {
            AgentId = agent.AgentId,
            Sessions = { new SessionLease { SessionId = lease.SessionId, LeaseEpoch = lease.LeaseEpoch } },
            Resources = new AgentResources
            {
                Memory = new SpaceUse { UsedBytes = 8L << 30, TotalBytes = 16L << 30 },
                Disk = new SpaceUse { UsedBytes = 40L << 30, TotalBytes = 100L << 30 },
                Gpus = { gpus.Select(g => new GpuTelemetry { Index = g.Index, Utilization = g.Utilization, MemoryUsedBytes = 3L << 30, MemoryTotalBytes = 80L << 30 }) },
            },
        }).ResponseAsync;
}
