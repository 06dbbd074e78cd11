using System.Net;
using System.Security.Cryptography;
using GridTrain.Agent;
using GridTrain.Agent.Gpu;
using GridTrain.Agent.Hosting;
using GridTrain.Controller.Hosting;
using GridTrain.Controller.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GridTrain.Embedded;

/// <summary>
/// A controller on a free loopback port, its state in SQLite under the work directory, and one agent joined to it, in
/// this process. Credentials are set up silently: a fresh admin token and join token per start (see <see cref="AdminToken"/>).
/// </summary>
public sealed class EmbeddedGrid : IAsyncDisposable
{
    private readonly ControllerServer _controller;
    private readonly ServiceProvider _agentServices;
    private readonly CancellationTokenSource _stopping = new();
    private Task _agentRun = Task.CompletedTask;

    private EmbeddedGrid(ControllerServer controller, ServiceProvider agentServices)
    {
        _controller = controller;
        _agentServices = agentServices;
        Agent = agentServices.GetGridAgent();
    }

    /// <summary>The controller's address.</summary>
    public Uri Address => _controller.Address;

    public GridAgent Agent { get; }

    public ControllerServer Controller => _controller;

    /// <summary>An admin token for this grid, valid while it runs.</summary>
    public string AdminToken => _controller.AdminToken!;

    public static async Task<EmbeddedGrid> StartAsync(EmbeddedGridOptions options, CancellationToken cancellationToken)
    {
        var workDirectory = Directory.CreateDirectory(Path.GetFullPath(options.WorkDirectory)).FullName;
        var security = new ControllerSecurityOptions { AdminToken = NewSecret(), JoinToken = NewSecret() };
        var controller = await ControllerServer.CreateAsync(
            new IPEndPoint(IPAddress.Loopback, 0),
            metricsListen: null,
            ControllerStorageOptions.InDirectory(Path.Combine(workDirectory, "controller")),
            options.Grid,
            logging => logging.ClearProviders().AddSimpleConsole(c => c.SingleLine = true).SetMinimumLevel(options.MinimumLogLevel),
            cancellationToken,
            security,
            options.WebListen);
        await controller.StartAsync(cancellationToken);

        var agentServices = new ServiceCollection()
            .AddLogging(logging => logging.AddSimpleConsole(c => c.SingleLine = true).SetMinimumLevel(options.MinimumLogLevel))
            .AddSingleton<IGpuMonitor>(new NoGpus())
            .AddGridTrainAgent(agent =>
            {
                agent.Controller = controller.Address;
                agent.Name = options.AgentName;
                agent.WorkDirectory = Path.Combine(workDirectory, "agent");
                agent.CpuSlots = options.CpuSlots;
                agent.ThreadsPerJob = options.ThreadsPerJob;
                agent.WorkerPath = options.WorkerPath;
                agent.JoinToken = security.JoinToken;
            })
            .BuildServiceProvider();
        var grid = new EmbeddedGrid(controller, agentServices);
        grid._agentRun = grid.Agent.RunAsync(grid._stopping.Token);
        return grid;
    }

    private static string NewSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _agentRun;
        await _agentServices.DisposeAsync();
        await _controller.StopAsync(CancellationToken.None);
        await _controller.DisposeAsync();
        _stopping.Dispose();
    }
}
