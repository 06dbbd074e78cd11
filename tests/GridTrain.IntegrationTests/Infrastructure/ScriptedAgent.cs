using GridTrain.Agent;
using GridTrain.Agent.Gpu;
using GridTrain.Agent.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace GridTrain.IntegrationTests.Infrastructure;

/// <summary>A real <see cref="GridAgent"/> in this process, joined to a <see cref="ScriptedController"/> the test drives.</summary>
public sealed class ScriptedAgent : IAsyncDisposable
{
    private readonly string _root;
    private readonly CancellationTokenSource _stop = new();
    private readonly ServiceProvider _services;
    private readonly Task _run;

    private ScriptedAgent(ScriptedController controller, string name, IGpuMonitor? gpus)
    {
        Controller = controller;
        _root = Directory.CreateTempSubdirectory($"gridtrain-{name}-").FullName;
        _services = new ServiceCollection()
            .AddSingleton(gpus ?? new NoGpus())
            .AddGridTrainAgent(options =>
            {
                options.Controller = controller.Address;
                options.Name = name;
                options.WorkDirectory = _root;
                options.JoinToken = TestCredentials.JoinToken;
            })
            .BuildServiceProvider();
        Agent = _services.GetGridAgent();
        _run = Agent.RunAsync(_stop.Token);
    }

    public ScriptedController Controller { get; }

    public GridAgent Agent { get; }

    /// <param name="name">The agent's name (also names its temporary work directory).</param>
    /// <param name="gpus">Its GPUs; none when null.</param>
    /// <param name="withoutHeartbeatStream">The controller answers the Heartbeats stream UNIMPLEMENTED, as an older one.</param>
    public static async Task<ScriptedAgent> StartAsync(string name, IGpuMonitor? gpus = null, bool withoutHeartbeatStream = false) =>
        new(await ScriptedController.StartAsync(withoutHeartbeatStream), name, gpus);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run;
        await _services.DisposeAsync();
        await Controller.DisposeAsync();
        _stop.Dispose();
        Directory.Delete(_root, recursive: true);
    }
}
