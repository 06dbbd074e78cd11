using System.Net;
using GridTrain.Client;
using GridTrain.Controller.Hosting;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.IntegrationTests.Infrastructure;

namespace GridTrain.IntegrationTests.Console;

/// <summary>A controller with its web port and a real agent process (three CPU slots) on loopback, with tokens for alice and bob.</summary>
public sealed class ConsoleGridFixture : IAsyncLifetime
{
    private ControllerServer? _server;

    public Uri WebAddress => _server!.WebAddress!;

    public ControllerServer Server => _server!;

    public AgentProcess Agent { get; private set; } = null!;

    public string AliceToken { get; private set; } = "";

    public string BobToken { get; private set; } = "";

    /// <summary>A gRPC client acting as alice (as the CLI would with her token).</summary>
    public GridTrainClient Alice { get; private set; } = null!;

    public string Root { get; } = Directory.CreateTempSubdirectory("gridtrain-console-").FullName;

    public async Task InitializeAsync()
    {
        _server = ControllerServer.Create(new IPEndPoint(IPAddress.Loopback, 0), new GridOptions(), webListen: new IPEndPoint(IPAddress.Loopback, 0));
        await _server.StartAsync(CancellationToken.None);
        AliceToken = await _server.CreateTokenAsync("alice");
        BobToken = await _server.CreateTokenAsync("bob");
        Alice = new GridTrainClient(_server.Address, token: AliceToken);
        Agent = AgentProcess.Start(_server.Address, "console-agent", Path.Combine(Root, "agent"), cpuSlots: 3);
        await Agent.WaitForLineAsync("registered as", TimeSpan.FromMinutes(1));
    }

    public async Task DisposeAsync()
    {
        await Agent.DisposeAsync();
        Alice.Dispose();
        await _server!.DisposeAsync();
        Directory.Delete(Root, recursive: true);
    }
}
