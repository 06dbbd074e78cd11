using System.Net;
using System.Security.Cryptography;
using GridTrain.Client;
using GridTrain.Controller.Hosting;
using GridTrain.Controller.Security;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;

namespace GridTrain.IntegrationTests.Security;

/// <summary>
/// A controller with credentials of its own (not the test run's), two users with a session and a queued job each,
/// and two protocol-level agents: what the authorization tests call every RPC with.
/// </summary>
public sealed class SecuredController : IAsyncLifetime
{
    public ControllerServer Server { get; private set; } = null!;

    public string AdminToken { get; } = "admin-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public string JoinToken { get; } = "join-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public string AliceToken { get; private set; } = "";

    public string BobToken { get; private set; } = "";

    /// <summary>A channel without credentials; callers add their own.</summary>
    public GridTrainClient Anonymous { get; private set; } = null!;

    public GridTrainClient Admin { get; private set; } = null!;

    public GridTrainClient Alice { get; private set; } = null!;

    public GridTrainClient Bob { get; private set; } = null!;

    /// <summary>Bob's resources, which Alice must not see.</summary>
    public Owned BobOwns { get; private set; } = null!;

    /// <summary>Alice's resources.</summary>
    public Owned AliceOwns { get; private set; } = null!;

    public TestAgent AgentA { get; private set; } = null!;

    public TestAgent AgentB { get; private set; } = null!;

    /// <param name="SessionId">A live (pending) session.</param>
    /// <param name="JobId">A queued job in it.</param>
    public sealed record Owned(string SessionId, string JobId);

    public async Task InitializeAsync()
    {
        Server = ControllerServer.Create(
            new IPEndPoint(IPAddress.Loopback, 0),
            new GridOptions(),
            security: new ControllerSecurityOptions { AdminToken = AdminToken, JoinToken = JoinToken, UserRequestsPerSecond = 0, AgentRequestsPerSecond = 0 });
        await Server.StartAsync(CancellationToken.None);
        AliceToken = await Server.CreateTokenAsync("alice");
        BobToken = await Server.CreateTokenAsync("bob");
        Anonymous = new GridTrainClient(Server.Address, token: "");
        Admin = new GridTrainClient(Server.Address, token: AdminToken);
        Alice = new GridTrainClient(Server.Address, token: AliceToken);
        Bob = new GridTrainClient(Server.Address, token: BobToken);
        BobOwns = await CreateOwnedAsync(Bob);
        AliceOwns = await CreateOwnedAsync(Alice);
        AgentA = await TestAgent.RegisterAsync(Anonymous.Channel, "agent-a", joinToken: JoinToken);
        AgentB = await TestAgent.RegisterAsync(Anonymous.Channel, "agent-b", joinToken: JoinToken);
    }

    /// <summary>A client calling with <paramref name="token"/> ("" for none).</summary>
    public GridTrainClient ClientWith(string token) => new(Server.Address, token: token);

    public async Task DisposeAsync()
    {
        Anonymous.Dispose();
        Admin.Dispose();
        Alice.Dispose();
        Bob.Dispose();
        await Server.DisposeAsync();
    }

    private static async Task<Owned> CreateOwnedAsync(GridTrainClient client)
    {
        // GPU sessions stay pending (the agents offer none), so their jobs stay queued.
        var session = await client.Sessions.CreateSessionAsync(new CreateSessionRequest { Resources = new ResourceRequest { Runtime = Runtime.Gpu, GpuCount = 1 }, DisplayName = "mine" });
        var job = await client.Jobs.SubmitJobAsync(new SubmitJobRequest
        {
            SessionId = session.Id,
            Spec = new JobSpec { Model = new ModelSpec { Name = "mlp" }, Data = new DataSpec { Synthetic = new SyntheticData { TrainExamples = 64 } } },
        });
        return new Owned(session.Id, job.Id);
    }
}
