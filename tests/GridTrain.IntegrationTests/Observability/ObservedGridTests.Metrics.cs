using System.Net;
using GridTrain.IntegrationTests.Infrastructure;

namespace GridTrain.IntegrationTests.Observability;

/// <summary>
/// A real controller and agent process with their metrics scraped by a real Prometheus (one <see cref="ObservedGridFixture"/>
/// for every test here): /metrics, /livez and /readyz, and the dashboard's queries.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed partial class ObservedGridTests(ObservedGridFixture grid) : IClassFixture<ObservedGridFixture>
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task BothMetricsEndpoints_PassPromtoolCheckMetrics()
    {
        // Scrape once the series worth linting exist: the scheduling histogram on the controller, a job's progress on the agent.
        var controller = await ScrapeWhenAsync(grid.Controller.Metrics!, "gridtrain_scheduling_latency_seconds_bucket", "gridtrain_session_checkpoint_age_seconds{");
        var agent = await ScrapeWhenAsync(grid.AgentMetrics, "gridtrain_job_step");

        var controllerLint = await Promtool.CheckMetricsAsync(controller);
        var agentLint = await Promtool.CheckMetricsAsync(agent);

        Assert.True(controllerLint.ExitCode == 0 && controllerLint.Output.Length == 0, $"promtool on the controller's metrics: exit {controllerLint.ExitCode}\n{controllerLint.Output}");
        Assert.True(agentLint.ExitCode == 0 && agentLint.Output.Length == 0, $"promtool on the agent's metrics: exit {agentLint.ExitCode}\n{agentLint.Output}");
        foreach (var name in new[]
                 {
                     "gridtrain_sessions{", "gridtrain_agents{", "gridtrain_leases_granted_total", "gridtrain_leases_expired_total",
                     "gridtrain_evictions_total{", "gridtrain_scheduling_queue_depth", "gridtrain_session_checkpoint_age_seconds{",
                     "gridtrain_session_eviction_remaining_seconds{", "gridtrain_agent_heartbeat_lag_seconds{", "gridtrain_rpc_server_duration_seconds_bucket{",
                 })
        {
            Assert.Contains(name, controller, StringComparison.Ordinal);
        }

        Assert.Contains($"session=\"{grid.TrainingSessionId}\"", controller, StringComparison.Ordinal);
        Assert.Contains("gridtrain_job_throughput_per_second{", agent, StringComparison.Ordinal);
        Assert.Contains($"job=\"{grid.TrainingJobId}\"", agent, StringComparison.Ordinal);
        Assert.Contains("gridtrain_agent_connected{otel_scope_name=\"GridTrain.Agent\"} 1", agent, StringComparison.Ordinal);
        Assert.DoesNotContain("gridtrain_gpu_", agent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusedCall_CountedWithItsStatusCode()
    {
        var refused = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () =>
            await grid.Client.Sessions.GetSessionAsync(new Protos.V1.GetSessionRequest { SessionId = "ses-nosuchsession" }));
        Assert.Equal(Grpc.Core.StatusCode.NotFound, refused.StatusCode);

        var scrape = await ScrapeWhenAsync(grid.Controller.Metrics!, "grpc_code=\"NotFound\",rpc_method=\"gridtrain.v1.SessionService/GetSession\"");

        Assert.Contains(
            scrape.Split('\n'),
            line => line.StartsWith("gridtrain_rpc_server_calls_total{", StringComparison.Ordinal)
                && line.Contains("grpc_code=\"NotFound\",rpc_method=\"gridtrain.v1.SessionService/GetSession\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AgentsHeartbeatStream_EachExchangeTimed()
    {
        // The agent heartbeats on its stream; each request answered is one exchange in the duration histogram.
        const string heartbeats = "grpc_code=\"OK\",rpc_method=\"gridtrain.v1.AgentService/Heartbeats\"";

        var scrape = await ScrapeWhenAsync(grid.Controller.Metrics!, heartbeats);

        var count = scrape.Split('\n').Single(line => line.StartsWith("gridtrain_rpc_server_duration_seconds_count{", StringComparison.Ordinal) && line.Contains(heartbeats, StringComparison.Ordinal));
        Assert.True(double.Parse(count[(count.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture) >= 1, count);
    }

    [Fact]
    public async Task HealthEndpoints_ControllerAndConnectedAgent_AreLiveAndReady()
    {
        foreach (var metrics in new[] { grid.Controller.Metrics!, grid.AgentMetrics })
        {
            foreach (var path in new[] { "/livez", "/readyz" })
            {
                using var response = await Http.GetAsync(new Uri(metrics, path));
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{new Uri(metrics, path)} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
        }
    }

    /// <summary>
    /// Scrapes until every <paramref name="expected"/> text shows (the controller's state gauges refresh every few
    /// seconds); on a timeout says what the last scrape and the agent showed.
    /// </summary>
    private async Task<string> ScrapeWhenAsync(Uri metrics, params string[] expected)
    {
        var last = "";
        return await Poll.UntilAsync(
            async ct =>
            {
                last = await Http.GetStringAsync(metrics, ct);
                return expected.All(e => last.Contains(e, StringComparison.Ordinal)) ? last : null;
            },
            ObservedGridFixture.Timeout,
            () => $"{metrics} never showed all of {string.Join(", ", expected)}; its last gridtrain_agent/gridtrain_job lines:\n"
                + string.Join('\n', last.Split('\n').Where(l => l.StartsWith("gridtrain_agent_", StringComparison.Ordinal) || l.StartsWith("gridtrain_job_", StringComparison.Ordinal)))
                + $"\nthe agent's output:\n{grid.Agent.Output()}");
    }
}
