using System.Text.Json;
using GridTrain.IntegrationTests.Infrastructure;

namespace GridTrain.IntegrationTests.Observability;

/// <summary>
/// The chart's Grafana dashboard against a real Prometheus scraping a real controller and agent: every PromQL
/// expression evaluates without error, and every panel that does not read GPU metrics (the machine has no GPU) returns data.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class DashboardQueryTests(ObservedGridFixture grid) : IClassFixture<ObservedGridFixture>
{
    private static readonly string DashboardsDirectory = Path.Combine(RepositoryRoot.Path, "helm", "gridtrain", "dashboards");

    [Fact]
    public async Task EveryDashboardQuery_Evaluates_AndNonGpuPanelsReturnData()
    {
        var queries = DashboardQueries().ToList();
        Assert.True(queries.Count >= 20, $"expected the dashboard's queries, found {queries.Count}");
        Assert.Contains(queries, q => q.Gpu);

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

    /// <summary>Every target of every panel of every dashboard, with <c>$__rate_interval</c> replaced as Grafana would for a 1 s scrape.</summary>
    private static IEnumerable<DashboardQuery> DashboardQueries() =>
        Directory.GetFiles(DashboardsDirectory, "*.json").Order(StringComparer.Ordinal).SelectMany(DashboardQueries);

    private static IEnumerable<DashboardQuery> DashboardQueries(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        foreach (var panel in document.RootElement.GetProperty("panels").EnumerateArray())
        {
            var title = $"{Path.GetFileName(path)}: {panel.GetProperty("title").GetString()}";
            foreach (var target in panel.GetProperty("targets").EnumerateArray())
            {
                var expression = target.GetProperty("expr").GetString()!;
                Assert.DoesNotMatch(@"\$(?!__rate_interval)", expression);
                yield return new DashboardQuery(title, expression.Replace("$__rate_interval", "1m", StringComparison.Ordinal), expression.Contains("gridtrain_gpu_", StringComparison.Ordinal));
            }
        }
    }

    private sealed record DashboardQuery(string Panel, string Expression, bool Gpu);
}
