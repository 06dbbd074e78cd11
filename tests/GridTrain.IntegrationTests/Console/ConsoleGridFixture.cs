using System.Net;
using GridTrain.Agent;
using GridTrain.Agent.Gpu;
using GridTrain.Agent.Hosting;
using GridTrain.Client;
using GridTrain.Controller.Hosting;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using GpuDevice = GridTrain.Domain.Agents.GpuDevice;

namespace GridTrain.IntegrationTests.Console;

/// <summary>
/// A controller with its web port, a real agent process (three CPU slots) and an in-process GPU agent whose fake NVML
/// has two H100s (no CPU slots), on loopback, with tokens for alice and bob.
/// </summary>
public sealed class ConsoleGridFixture : IAsyncLifetime
{
    public const string GpuAgentName = "console-gpu-agent";

    private readonly CancellationTokenSource _stop = new();
    private ControllerServer? _server;
    private ServiceProvider? _gpuAgentServices;
    private Task _gpuAgentRun = Task.CompletedTask;

    public Uri WebAddress => _server!.WebAddress!;

    public ControllerServer Server => _server!;

    public AgentProcess Agent { get; private set; } = null!;

    /// <summary>The GPU agent's GPUs as NVML reports them; set a reading and the next heartbeat carries it.</summary>
    public FakeGpuMonitor Gpus { get; } = new(
        new GpuDevice(0, "GPU-c0ffee00-0000-0000-0000-000000000000", "NVIDIA H100 80GB HBM3", 80L << 30),
        new GpuDevice(1, "GPU-c0ffee00-0000-0000-0000-000000000001", "NVIDIA H100 80GB HBM3", 80L << 30));

    public string AliceToken { get; private set; } = "";

    public string BobToken { get; private set; } = "";

    /// <summary>A gRPC client acting as alice (as the CLI would with her token).</summary>
    public GridTrainClient Alice { get; private set; } = null!;

    /// <summary>A gRPC client acting as the admin (as the CLI would with the admin token).</summary>
    public GridTrainClient Admin { get; private set; } = null!;

    public string Root { get; } = Directory.CreateTempSubdirectory("gridtrain-console-").FullName;

    public async Task InitializeAsync()
    {
        _server = ControllerServer.Create(new IPEndPoint(IPAddress.Loopback, 0), new GridOptions(), webListen: new IPEndPoint(IPAddress.Loopback, 0));
        await _server.StartAsync(CancellationToken.None);
        AliceToken = await _server.CreateTokenAsync("alice");
        BobToken = await _server.CreateTokenAsync("bob");
        Alice = new GridTrainClient(_server.Address, token: AliceToken);
        Admin = new GridTrainClient(_server.Address, token: TestCredentials.AdminToken);
        Agent = AgentProcess.Start(_server.Address, "console-agent", Path.Combine(Root, "agent"), cpuSlots: 3);
        _gpuAgentServices = new ServiceCollection()
            .AddSingleton<IGpuMonitor>(Gpus)
            .AddGridTrainAgent(agent =>
            {
                agent.Controller = _server.Address;
                agent.Name = GpuAgentName;
                agent.WorkDirectory = Path.Combine(Root, "gpu-agent");
                agent.CpuSlots = 0;
                agent.JoinToken = TestCredentials.JoinToken;
            })
            .BuildServiceProvider();
        _gpuAgentRun = _gpuAgentServices.GetGridAgent().RunAsync(_stop.Token);
        await Agent.WaitForLineAsync("registered as", TimeSpan.FromMinutes(1));
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _gpuAgentRun;
        if (_gpuAgentServices is not null)
        {
            await _gpuAgentServices.DisposeAsync();
        }

        await Agent.DisposeAsync();
        Alice.Dispose();
        Admin.Dispose();
        await _server!.DisposeAsync();
        _stop.Dispose();
        Directory.Delete(Root, recursive: true);
    }
}
