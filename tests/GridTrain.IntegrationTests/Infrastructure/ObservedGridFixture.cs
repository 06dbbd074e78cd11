using GridTrain.Client;
using GridTrain.Protos.V1;

namespace GridTrain.IntegrationTests.Infrastructure;

/// <summary>
/// A controller and an agent process, both serving /metrics, a real Prometheus scraping them every second, and work
/// for the metrics to describe: a session training a long job (progress, checkpoints, a lease) and a second, idle
/// session placed after Prometheus saw the first placement (so scheduling latency has a rate).
/// </summary>
public sealed class ObservedGridFixture : IAsyncLifetime
{
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public string Root { get; } = Directory.CreateTempSubdirectory("gridtrain-observed-").FullName;

    public ControllerProcess Controller { get; private set; } = null!;

    public AgentProcess Agent { get; private set; } = null!;

    public Uri AgentMetrics { get; private set; } = null!;

    public PrometheusServer Prometheus { get; private set; } = null!;

    public GridTrainClient Client { get; private set; } = null!;

    /// <summary>When the grid started: the start of every range query.</summary>
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    public string TrainingSessionId { get; private set; } = "";

    public string TrainingJobId { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Controller = await ControllerProcess.StartAsync(Path.Combine(Root, "controller"), agentTimeout: "10s", metrics: true);
        Agent = AgentProcess.Start(Controller.Address, "observed", Path.Combine(Root, "agent"), cpuSlots: 2, metrics: true);
        AgentMetrics = await Agent.WaitForMetricsAsync(Timeout);
        await Agent.WaitForLineAsync("registered as", Timeout);
        Prometheus = await PrometheusServer.StartAsync(
            new Dictionary<string, Uri> { ["gridtrain-controller"] = Controller.Metrics!, ["gridtrain-agent"] = AgentMetrics },
            Timeout);
        Client = new GridTrainClient(Controller.Address);

        var training = await Client.Sessions.CreateSessionAsync(new CreateSessionRequest { Resources = new ResourceRequest { Runtime = Runtime.Cpu }, DisplayName = "training" });
        TrainingSessionId = training.Id;
        var job = await Client.Jobs.SubmitJobAsync(new SubmitJobRequest { SessionId = training.Id, Spec = TwoAgentGridFixture.LongJob() });
        TrainingJobId = job.Id;
        await Client.UntilAsync(job.Id, e => e.KindCase == JobEvent.KindOneofCase.Checkpoint);

        // Scheduling latency is a histogram whose series appear with the first placement: a second placement after
        // Prometheus has stored the first gives its rate something to show.
        await Poll.UntilAsync(
            async ct => (await Prometheus.QueryRangeAsync("gridtrain_scheduling_latency_seconds_count", StartedAt, ct)).Samples > 0 ? "seen" : null,
            Timeout,
            () => $"Prometheus never stored gridtrain_scheduling_latency_seconds_count:\n{Prometheus.Log()}");
        await Client.Sessions.CreateSessionAsync(new CreateSessionRequest { Resources = new ResourceRequest { Runtime = Runtime.Cpu }, DisplayName = "idle" });
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (Prometheus is not null)
        {
            await Prometheus.DisposeAsync();
        }

        if (Agent is not null)
        {
            await Agent.DisposeAsync();
        }

        if (Controller is not null)
        {
            await Controller.DisposeAsync();
        }

        Directory.Delete(Root, recursive: true);
    }
}
