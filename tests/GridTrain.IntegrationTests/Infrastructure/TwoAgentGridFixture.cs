using System.Net;
using GridTrain.Client;
using GridTrain.Controller.Hosting;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.Protos.V1;

namespace GridTrain.IntegrationTests.Infrastructure;

/// <summary>An in-process controller and two agent processes on loopback, each agent with one CPU slot.</summary>
public sealed class TwoAgentGridFixture : IAsyncLifetime
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(60);
    private ControllerServer? _server;

    public GridTrainClient Client { get; private set; } = null!;

    public IReadOnlyList<AgentProcess> Agents { get; private set; } = [];

    public string Root { get; } = Directory.CreateTempSubdirectory("gridtrain-e2e-").FullName;

    public async Task InitializeAsync()
    {
        // One attempt: a job whose process is killed fails with the cause instead of being retried.
        _server = ControllerServer.Create(new IPEndPoint(IPAddress.Loopback, 0), new GridOptions { MaxJobAttempts = 1 });
        await _server.StartAsync(CancellationToken.None);
        Client = new GridTrainClient(_server.Address);
        Agents =
        [
            AgentProcess.Start(_server.Address, "agent-a", Path.Combine(Root, "agent-a")),
            AgentProcess.Start(_server.Address, "agent-b", Path.Combine(Root, "agent-b")),
        ];
        await Task.WhenAll(Agents.Select(a => a.WaitForLineAsync("registered as", s_startTimeout)));
    }

    public async Task DisposeAsync()
    {
        foreach (var agent in Agents)
        {
            await agent.DisposeAsync();
        }

        Client.Dispose();
        await _server!.StopAsync(CancellationToken.None);
        await _server.DisposeAsync();
        Directory.Delete(Root, recursive: true);
    }

    public Task<Job> SubmitBatchAsync(JobSpec spec) => Client.Jobs.SubmitJobAsync(new SubmitJobRequest
    {
        Batch = new BatchSession { Resources = new ResourceRequest { Runtime = Runtime.Cpu } },
        Spec = spec,
    }).ResponseAsync;

    /// <summary>A job that trains for long enough to be killed or cancelled mid-way.</summary>
    public static JobSpec LongJob() => Mlp(trainExamples: 2_000, epochs: 1_000);

    /// <summary>A job that finishes in a few seconds, most of it process start.</summary>
    public static JobSpec ShortJob() => Mlp(trainExamples: 256, epochs: 1);

    private static JobSpec Mlp(int trainExamples, int epochs) => new()
    {
        Model = new ModelSpec { Name = "mlp", HiddenSizes = { 32 } },
        Data = new DataSpec { Synthetic = new SyntheticData { TrainExamples = trainExamples, TestExamples = 64, ImageSize = 8, Classes = 4 } },
        Hyperparameters = new Hyperparameters { Optimizer = "adam", LearningRate = 0.01, BatchSize = 32, Epochs = epochs, Seed = 3 },
        Checkpoint = new CheckpointPolicy { EverySteps = 50, KeepLast = 2 },
    };
}
