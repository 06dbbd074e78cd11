using GridTrain.Agent;
using GridTrain.Agent.Gpu;
using GridTrain.Agent.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace GridTrain.IntegrationTests.Infrastructure;

/// <summary>
/// An agent built the production way (<c>AddGridTrainAgent</c>) and run in the test's process, joined to a controller
/// with the test join token; optionally on a fake NVML. Disposing stops it and awaits its run.
/// </summary>
internal sealed class InProcessAgent : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;

    private InProcessAgent(ServiceProvider services)
    {
        Services = services;
        Agent = services.GetGridAgent();
        _run = Agent.RunAsync(_stop.Token);
    }

    public ServiceProvider Services { get; }

    public GridAgent Agent { get; }

    /// <summary>Starts an agent named <paramref name="name"/> with its work directory at <paramref name="workDirectory"/>.</summary>
    public static InProcessAgent Start(Uri controller, string name, string workDirectory, Action<AgentOptions>? configure = null, IGpuMonitor? gpus = null)
    {
        var services = new ServiceCollection();
        if (gpus is not null)
        {
            services.AddSingleton(gpus);
        }

        return new InProcessAgent(services
            .AddGridTrainAgent(options =>
            {
                options.Controller = controller;
                options.Name = name;
                options.WorkDirectory = workDirectory;
                options.JoinToken = TestCredentials.JoinToken;
                configure?.Invoke(options);
            })
            .BuildServiceProvider());
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run;
        await Services.DisposeAsync();
        _stop.Dispose();
    }
}
