using System.Diagnostics.Metrics;
using System.Net;
using GridTrain.Agent;
using GridTrain.Agent.Gpu;
using GridTrain.Agent.Hosting;
using GridTrain.Agent.Metrics;
using GridTrain.Client;
using GridTrain.Controller.Hosting;
using GridTrain.Controller.Metrics;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Testing;
using GridTrain.Protos.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace GridTrain.IntegrationTests.Observability;

/// <summary>
/// An in-process controller and agent whose GPUs come from <see cref="FakeGpuMonitor"/> (no GPU here): what NVML finds is
/// advertised, and the agent's /metrics shows each GPU with the session holding it.
/// </summary>
public sealed class AgentGpuMetricsTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly string _root = Directory.CreateTempSubdirectory("gridtrain-gpu-metrics-").FullName;
    private readonly CancellationTokenSource _stop = new();
    private readonly FakeGpuMonitor _gpus = new(
        new Domain.Agents.GpuDevice(0, "GPU-11111111-2222-3333-4444-555555555555", "NVIDIA L4", 24L << 30),
        new Domain.Agents.GpuDevice(1, "GPU-66666666-7777-8888-9999-000000000000", "NVIDIA L4", 24L << 30));

    private ControllerServer _controller = null!;
    private ServiceProvider _agentServices = null!;
    private GridAgent _agent = null!;
    private AgentTelemetryServer _telemetry = null!;
    private GridTrainClient _client = null!;
    private Task _agentRun = Task.CompletedTask;

    public async Task InitializeAsync()
    {
        _controller = ControllerServer.Create(
            new IPEndPoint(IPAddress.Loopback, 0),
            new GridOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(500), StallTimeout = TimeSpan.FromSeconds(2), GpuStallThreshold = 0.05 },
            metricsListen: new IPEndPoint(IPAddress.Loopback, 0));
        await _controller.StartAsync(CancellationToken.None);
        _client = new GridTrainClient(_controller.Address);
        _agentServices = new ServiceCollection()
            .AddSingleton<IGpuMonitor>(_gpus)
            .AddGridTrainAgent(options =>
            {
                options.Controller = _controller.Address;
                options.Name = "gpu-node";
                options.WorkDirectory = Path.Combine(_root, "agent");
                options.CpuSlots = 0;
                options.JoinToken = TestCredentials.JoinToken;
            })
            .BuildServiceProvider();
        _agent = _agentServices.GetGridAgent();
        _telemetry = await AgentTelemetryServer.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), _agent, _gpus, TimeProvider.System, null, CancellationToken.None);
        _agentRun = _agent.RunAsync(_stop.Token);
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _agentRun;
        await _telemetry.DisposeAsync();
        await _agentServices.DisposeAsync();
        _client.Dispose();
        await _controller.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task DiscoveredGpus_AreAdvertised_AndEachGpuSeriesNamesTheSessionHoldingIt()
    {
        _gpus.Set(0, new GpuReading(0.75, 8L << 30, 24L << 30, 61, 120.5));
        _gpus.Set(1, new GpuReading(null, 1L << 30, 24L << 30, 40, null));
        var agent = await Poll.UntilAsync(
            async ct => (await _client.Fleet.ListAgentsAsync(new ListAgentsRequest(), cancellationToken: ct)).Agents.FirstOrDefault(),
            Timeout,
            () => "the agent never registered");
        Assert.Equal(_gpus.Devices.Select(d => d.Uuid), agent.Inventory.Gpus.Select(g => g.Uuid));
        Assert.All(agent.Inventory.Gpus, g => Assert.Equal("NVIDIA L4", g.Model));

        var session = await ReadyGpuSessionAsync();
        var heldIndex = Assert.Single(session.GpuIndexes);
        var heldUuid = _gpus.Devices[heldIndex].Uuid;
        var freeUuid = _gpus.Devices[1 - heldIndex].Uuid;

        var scrape = await Http.GetStringAsync(new Uri(_telemetry.Address, AgentTelemetryServer.MetricsPath));

        var heldLines = Lines(scrape, heldUuid);
        var freeLines = Lines(scrape, freeUuid);
        Assert.All(heldLines, line => Assert.Contains($"session=\"{session.Id}\"", line, StringComparison.Ordinal));
        Assert.All(freeLines, line => Assert.DoesNotContain("session=", line, StringComparison.Ordinal));
        Assert.Contains(Lines(scrape, "gridtrain_gpu_memory_total_bytes{"), line => line.Contains(heldUuid, StringComparison.Ordinal) && line.EndsWith(" 25769803776", StringComparison.Ordinal));
        Assert.Contains(Lines(scrape, "gridtrain_gpu_temperature_celsius{"), line => line.Contains("gpu_index=\"0\"", StringComparison.Ordinal) && line.EndsWith(" 61", StringComparison.Ordinal));

        // GPU 1 reports neither utilization nor power: those series are absent, not zero.
        Assert.Single(Lines(scrape, "gridtrain_gpu_utilization_ratio{"), line => line.Contains("gpu_index=\"0\"", StringComparison.Ordinal) && line.EndsWith(" 0.75", StringComparison.Ordinal));
        Assert.DoesNotContain(Lines(scrape, "gridtrain_gpu_power_watts{"), line => line.Contains("gpu_index=\"1\"", StringComparison.Ordinal));
        Assert.Contains(Lines(scrape, "gridtrain_gpu_power_watts{"), line => line.Contains("gpu_index=\"0\"", StringComparison.Ordinal) && line.EndsWith(" 120.5", StringComparison.Ordinal));
        Assert.Contains(Lines(scrape, "gridtrain_gpu_memory_used_bytes{"), line => line.Contains("gpu_index=\"1\"", StringComparison.Ordinal));

        var lint = await Promtool.CheckMetricsAsync(scrape);
        Assert.True(lint.ExitCode == 0 && lint.Output.Length == 0, $"promtool: exit {lint.ExitCode}\n{lint.Output}");
    }

    [Fact]
    public async Task LostGpu_IsLeftOutOfTheScrape_OthersStillReported()
    {
        _gpus.Lose(1);

        var scrape = await Http.GetStringAsync(new Uri(_telemetry.Address, AgentTelemetryServer.MetricsPath));

        Assert.Contains(Lines(scrape, "gridtrain_gpu_memory_total_bytes{"), line => line.Contains("gpu_index=\"0\"", StringComparison.Ordinal));
        // Only its health gauge still names it (as out of service once a check has seen it lost); no reading does.
        Assert.DoesNotContain(scrape.Split('\n').Where(line => !line.StartsWith("gridtrain_gpu_healthy", StringComparison.Ordinal)), line => line.Contains("gpu_index=\"1\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GpuPanels_OneGpuWithoutUtilization_ShowOnlyRealReadings_WithTheLeaseState()
    {
        var session = await ReadyGpuSessionAsync();
        var heldIndex = Assert.Single(session.GpuIndexes);
        _gpus.Set(heldIndex, new GpuReading(0.75, 8L << 30, 24L << 30, 61, 120.5));
        _gpus.Set(1 - heldIndex, new GpuReading(null, 1L << 30, 24L << 30, 40, null));
        var started = DateTimeOffset.UtcNow;
        await using var prometheus = await PrometheusServer.StartAsync(
            new Dictionary<string, Uri>
            {
                ["gridtrain-controller"] = new(_controller.MetricsAddress!, "/metrics"),
                ["gridtrain-agent"] = new(_telemetry.Address, AgentTelemetryServer.MetricsPath),
            },
            Timeout);

        var gpuQueries = Dashboards.Queries().Where(q => q.Gpu).ToList();
        await Poll.UntilAsync(
            async ct =>
            {
                foreach (var query in gpuQueries)
                {
                    var outcome = await prometheus.QueryRangeAsync(query.Expression, started, ct);
                    Assert.True(outcome.Status == "success", $"'{query.Panel}': {outcome.Error}");
                    if (outcome.Samples == 0)
                    {
                        return null;
                    }
                }

                return "all";
            },
            Timeout,
            () => "a GPU panel never returned data");

        // The GPU without a utilization reading counts neither as 0 nor as busy: the fleet mean is the other GPU's.
        // An instant query reads each target's latest scrape, and a failed scrape leaves that target's series stale until
        // the next one, so each query is read once it has a result.
        var fleet = Assert.Single(await LatestAsync(prometheus, gpuQueries.First(q => q.Panel.EndsWith(": Fleet GPU utilization", StringComparison.Ordinal)).Expression));
        Assert.Equal(0.75, fleet.Value, 6);
        var reporting = await LatestAsync(prometheus, "count(gridtrain_gpu_utilization_ratio)");
        Assert.Equal(1, Assert.Single(reporting).Value);
        var perSession = Assert.Single(await LatestAsync(prometheus, gpuQueries.First(q => q.Panel.Contains("Per-session GPU utilization", StringComparison.Ordinal)).Expression));
        Assert.Equal(session.Id, perSession.Labels["session"]);
        Assert.Equal("ready", perSession.Labels["state"]);
        Assert.Equal("gpu-node", perSession.Labels["agent"]);
        Assert.Equal(0.75, perSession.Value, 6);
    }

    [Fact]
    public async Task GpusChangingHolders_PastHalfTheSeriesLimit_GaugesStartAfresh_ShowingTheCurrentHolders()
    {
        _gpus.Set(0, new GpuReading(0.5, 1L << 30, 24L << 30, 40, 50));
        _gpus.Set(1, new GpuReading(0.6, 1L << 30, 24L << 30, 40, 50));
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        // A limit of 6 series per gauge: recycling starts at 3 GPU series (GPU and holder) seen.
        using var metrics = new AgentMetrics(factory, _agent, new GpuSampler(_gpus, time, NullLogger<GpuSampler>.Instance), time, seriesLimit: 6);

        var first = await ReadyGpuSessionAsync();
        time.Advance(AgentMetrics.ChurnCheckInterval);
        Assert.Equal(0, metrics.Generation);
        var second = await ReadyGpuSessionAsync();
        time.Advance(AgentMetrics.ChurnCheckInterval);

        Assert.Equal(1, metrics.Generation);
        var holders = new List<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == factory && instrument.Name == "gridtrain.gpu.utilization.ratio")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) => holders.AddRange(tags.ToArray().Where(t => t.Key == "session").Select(t => (string)t.Value!)));
        listener.Start();
        listener.RecordObservableInstruments();
        // The new instruments report both GPUs with the sessions holding them now.
        Assert.Equal(new[] { first.Id, second.Id }.Order(StringComparer.Ordinal), holders.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task RunningJobWhoseGpuIdles_CountsAsStalled_UntilItsGpuWorksAgain()
    {
        var session = await ReadyGpuSessionAsync();
        var gpu = Assert.Single(session.GpuIndexes);
        _gpus.Set(gpu, new GpuReading(0.01, 1L << 30, 24L << 30, 35, 40));
        var job = await _client.Jobs.SubmitJobAsync(new SubmitJobRequest { SessionId = session.Id, Spec = GridEvents.RecoveryJob() });
        await _client.UntilAsync(job.Id, e => e.StateChanged?.State == JobState.Running);

        // The real path: NVML reading on the agent, the heartbeat's gpu_utilization, the controller's idle explanation.
        var stalled = await WhyIdleUntilAsync(session.Id, $"job {job.Id} is stalled: its GPUs have stayed below 5% utilization for ");
        _gpus.Set(gpu, new GpuReading(0.93, 20L << 30, 24L << 30, 70, 250));
        var working = await WhyIdleUntilAsync(session.Id, $"job {job.Id} is running");
        await _client.Jobs.CancelJobAsync(new CancelJobRequest { JobId = job.Id });

        Assert.DoesNotContain(stalled.Reasons, r => r == $"job {job.Id} is running");
        Assert.DoesNotContain(working.Reasons, r => r.Contains("is stalled", StringComparison.Ordinal));
        Assert.NotEqual(JobState.Failed, (await _client.FinishedAsync(job.Id)).State);
    }

    /// <summary>Evaluates <paramref name="query"/> now, waiting while it has no result; on a timeout says what both targets and the session showed.</summary>
    private async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>> LatestAsync(PrometheusServer prometheus, string query)
    {
        var seen = "";
        return await Poll.UntilAsync(
            async ct =>
            {
                if (await prometheus.QueryAsync(query, ct) is { Count: > 0 } result)
                {
                    return result;
                }

                var up = await prometheus.QueryAsync("up", ct);
                var agent = await Http.GetStringAsync(new Uri(_telemetry.Address, AgentTelemetryServer.MetricsPath), ct);
                var controller = await Http.GetStringAsync(new Uri(_controller.MetricsAddress!, ControllerMetricsExtensions.MetricsPath), ct);
                var sessions = await _client.Sessions.ListSessionsAsync(new ListSessionsRequest(), cancellationToken: ct);
                seen = $"up: {string.Join(", ", up.Select(u => $"{u.Labels["job"]}={u.Value}"))}\nagent: {string.Join('\n', Lines(agent, "gridtrain_gpu_utilization_ratio{"))}\n"
                    + $"controller: {string.Join('\n', Lines(controller, "gridtrain_session_state{"))}\nsessions: {sessions}";
                return null;
            },
            Timeout,
            () => $"'{query}' never had a result; last seen:\n{seen}\nPrometheus said:\n{prometheus.Log()}");
    }

    private Task<IdleExplanation> WhyIdleUntilAsync(string sessionId, string reason) =>
        Poll.UntilAsync(
            async ct => await _client.Sessions.ExplainIdlenessAsync(new ExplainIdlenessRequest { SessionId = sessionId }, cancellationToken: ct) is var why
                && why.Reasons.Any(r => r.StartsWith(reason, StringComparison.Ordinal)) ? why : null,
            Timeout,
            () => $"session {sessionId}'s idle explanation never said '{reason}'");

    [Fact]
    public async Task AgentReadiness_FollowsItsControllerConnection_LivenessDoesNot()
    {
        var ready = new Uri(_telemetry.Address, AgentTelemetryServer.ReadinessPath);
        var live = new Uri(_telemetry.Address, AgentTelemetryServer.LivenessPath);
        await StatusAsync(ready, HttpStatusCode.OK);

        await _controller.StopAsync(CancellationToken.None);

        await StatusAsync(ready, HttpStatusCode.ServiceUnavailable);
        using var liveness = await Http.GetAsync(live);
        Assert.Equal(HttpStatusCode.OK, liveness.StatusCode);
    }

    private static Task StatusAsync(Uri uri, HttpStatusCode expected) =>
        Poll.UntilAsync(
            async ct =>
            {
                using var response = await Http.GetAsync(uri, ct);
                return response.StatusCode == expected ? "ok" : null;
            },
            Timeout,
            () => $"{uri} never answered {(int)expected}");

    /// <summary>Creates a session holding one GPU and waits until the agent has confirmed it.</summary>
    private async Task<Session> ReadyGpuSessionAsync()
    {
        var created = await _client.Sessions.CreateSessionAsync(new CreateSessionRequest { Resources = new ResourceRequest { Runtime = Runtime.Gpu, GpuCount = 1 } });
        return await Poll.UntilAsync(
            async ct => (await _client.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = created.Id }, cancellationToken: ct)) is { State: SessionState.Ready } ready ? ready : null,
            Timeout,
            () => $"session {created.Id} never became ready");
    }

    private static List<string> Lines(string scrape, string containing) =>
        [.. scrape.Split('\n').Where(line => !line.StartsWith('#') && line.Contains(containing, StringComparison.Ordinal))];
}
