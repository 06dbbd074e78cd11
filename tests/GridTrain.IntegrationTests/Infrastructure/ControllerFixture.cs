using System.Net;
using GridTrain.Client;
using GridTrain.Controller.Hosting;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;

namespace GridTrain.IntegrationTests.Infrastructure;

/// <summary>A real controller on Kestrel, loopback, free port; shared by a test class.</summary>
public sealed class ControllerFixture : IAsyncLifetime
{
    private ControllerServer? _server;

    public GridTrainClient Client { get; private set; } = null!;

    public Uri Address => _server!.Address;

    public async Task InitializeAsync()
    {
        _server = ControllerServer.Create(new IPEndPoint(IPAddress.Loopback, 0), new GridOptions());
        await _server.StartAsync(CancellationToken.None);
        Client = new GridTrainClient(_server.Address);
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await _server!.StopAsync(CancellationToken.None);
        await _server.DisposeAsync();
    }
}
