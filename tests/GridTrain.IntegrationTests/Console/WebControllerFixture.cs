using System.Net;
using GridTrain.Client;
using GridTrain.Controller.Hosting;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.Domain.Quotas;

namespace GridTrain.IntegrationTests.Console;

/// <summary>
/// A real controller on loopback with its web port (console and HTTP/JSON API), in memory, at most one GPU per user,
/// and tokens for two users, alice and bob.
/// </summary>
public sealed class WebControllerFixture : IAsyncLifetime
{
    public ControllerServer Server { get; private set; } = null!;

    public Uri WebAddress => Server.WebAddress!;

    public string AliceToken { get; private set; } = "";

    public string BobToken { get; private set; } = "";

    public GridTrainClient Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = ControllerServer.Create(
            new IPEndPoint(IPAddress.Loopback, 0),
            new GridOptions { Quota = new QuotaOptions { MaxConcurrentGpus = 1 } },
            webListen: new IPEndPoint(IPAddress.Loopback, 0));
        await Server.StartAsync(CancellationToken.None);
        AliceToken = await Server.CreateTokenAsync("alice");
        BobToken = await Server.CreateTokenAsync("bob");
        Admin = new GridTrainClient(Server.Address);
    }

    public JsonApi Api(string? token) => new(WebAddress, token);

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        await Server.DisposeAsync();
    }
}
