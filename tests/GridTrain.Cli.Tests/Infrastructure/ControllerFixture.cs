using System.Net;
using GridTrain.Controller.Hosting;

namespace GridTrain.Cli.Tests.Infrastructure;

/// <summary>A real controller on a free loopback port, without agents, for commands to talk to.</summary>
public sealed class ControllerFixture : IAsyncLifetime
{
    private ControllerServer? _server;

    public string Address => _server!.Address.ToString().TrimEnd('/');

    /// <summary>Creates a user token on this controller.</summary>
    public Task<string> CreateTokenAsync(string user) => _server!.CreateTokenAsync(user);

    public async Task InitializeAsync()
    {
        _server = ControllerServer.Create(new IPEndPoint(IPAddress.Loopback, 0));
        await _server.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _server!.StopAsync(CancellationToken.None);
        await _server.DisposeAsync();
    }
}
