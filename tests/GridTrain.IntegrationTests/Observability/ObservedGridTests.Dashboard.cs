using GridTrain.IntegrationTests.Infrastructure;

namespace GridTrain.IntegrationTests.Observability;

public sealed partial class ObservedGridTests
{
    /// <summary>
    /// The chart's Grafana dashboards against the real Prometheus: every PromQL expression evaluates without error, and
    /// every panel that does not read GPU metrics (this machine has no GPU) returns data.
    /// </summary>
    [Fact]
    public async Task EveryDashboardQuery_Evaluates_AndNonGpuPanelsReturnData()
    {
        var queries = Dashboards.Queries();
        Assert.True(queries.Count >= 20, $"expected the dashboard's queries, found {queries.Count}");
        Assert.Contains(queries, q => q.Gpu);
        Assert.All(queries, q => Assert.DoesNotContain("$", q.Expression, StringComparison.Ordinal));

        var lastOutcomes = new Dictionary<DashboardQuery, QueryOutcome>();
        await Poll.UntilAsync(
            async ct =>
            {
                foreach (var query in queries)
                {
                    var outcome = await grid.Prometheus.QueryRangeAsync(query.Expression, grid.StartedAt, ct);
                    Assert.True(outcome.Status == "success", $"panel '{query.Panel}': {query.Expression} failed: {outcome.Error}");
                    lastOutcomes[query] = outcome;
                }

                return queries.Where(q => !q.Gpu).All(q => lastOutcomes[q].Samples > 0) ? "all" : null;
            },
            ObservedGridFixture.Timeout,
            () => "panels without data: " + string.Join("; ", queries.Where(q => !q.Gpu && lastOutcomes.GetValueOrDefault(q)?.Samples is null or 0).Select(q => $"'{q.Panel}': {q.Expression}")));
    }
}
