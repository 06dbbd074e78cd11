using System.Net;
using Grpc.Core;
using GridTrain.Client;
using GridTrain.Controller.Hosting;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.Domain.Quotas;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;

namespace GridTrain.IntegrationTests;

/// <summary>Quotas over the wire: each token's user has their own quota; over quota is RESOURCE_EXHAUSTED saying which limit.</summary>
public sealed class QuotaApiTests : IAsyncLifetime
{
    private ControllerServer? _server;

    public async Task InitializeAsync()
    {
        _server = ControllerServer.Create(new IPEndPoint(IPAddress.Loopback, 0), new GridOptions { Quota = new QuotaOptions { MaxConcurrentGpus = 1 } });
        await _server.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await _server!.DisposeAsync();

    [Fact]
    public async Task SecondGpuSession_OverTheUsersQuota_ResourceExhausted_OtherUserFine()
    {
        using var alice = new GridTrainClient(_server!.Address, token: await _server.CreateTokenAsync("alice"));
        using var bob = new GridTrainClient(_server.Address, token: await _server.CreateTokenAsync("bob"));
        var inventory = new Inventory { CpuCores = 8, MemoryBytes = 1L << 34, Gpus = { new GpuDevice { Index = 0, Model = "L4" }, new GpuDevice { Index = 1, Model = "L4" } } };
        var agent = await TestAgent.RegisterAsync(alice.Channel, "gpu-node", inventory);
        using var commands = agent.Client.ReceiveCommands(new ReceiveCommandsRequest { AgentId = agent.AgentId });
        var gpu = new ResourceRequest { Runtime = Runtime.Gpu, GpuCount = 1 };

        var first = await alice.Sessions.CreateSessionAsync(new CreateSessionRequest { Resources = gpu });
        Assert.True(await commands.ResponseStream.MoveNext(CancellationToken.None));
        if (commands.ResponseStream.Current.CommandCase == AgentCommand.CommandOneofCase.SyncComplete)
        {
            Assert.True(await commands.ResponseStream.MoveNext(CancellationToken.None));
        }

        Assert.Equal(first.Id, commands.ResponseStream.Current.AssignSession.SessionId);
        Assert.Equal("alice", first.Owner);

        var error = await Assert.ThrowsAsync<RpcException>(() => alice.Sessions.CreateSessionAsync(new CreateSessionRequest { Resources = gpu }).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("concurrent GPUs: alice holds 1 of 1", error.Status.Detail, StringComparison.Ordinal);
        var quota = await alice.Sessions.GetQuotaAsync(new GetQuotaRequest());
        Assert.Equal((1, 1), (quota.ConcurrentGpus, quota.MaxConcurrentGpus));
        Assert.Equal("bob", (await bob.Sessions.CreateSessionAsync(new CreateSessionRequest { Resources = gpu })).Owner);
    }
}
