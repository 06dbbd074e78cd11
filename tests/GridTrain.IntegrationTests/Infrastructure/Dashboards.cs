using System.Text.Json;

namespace GridTrain.IntegrationTests.Infrastructure;

/// <summary>The chart's Grafana dashboards: every panel's PromQL, as Grafana would send it for a 1 s scrape.</summary>
public static class Dashboards
{
    public static string Directory { get; } = Path.Combine(RepositoryRoot.Path, "helm", "gridtrain", "dashboards");

    /// <summary>Every target of every panel of every dashboard, with <c>$__rate_interval</c> replaced by 1m.</summary>
    public static IReadOnlyList<DashboardQuery> Queries() =>
        [.. System.IO.Directory.GetFiles(Directory, "*.json").Order(StringComparer.Ordinal).SelectMany(Queries)];

    private static IEnumerable<DashboardQuery> Queries(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var queries = new List<DashboardQuery>();
        foreach (var panel in document.RootElement.GetProperty("panels").EnumerateArray())
        {
            var title = $"{Path.GetFileName(path)}: {panel.GetProperty("title").GetString()}";
            foreach (var target in panel.GetProperty("targets").EnumerateArray())
            {
                var expression = target.GetProperty("expr").GetString()!;
                queries.Add(new DashboardQuery(
                    title,
                    expression.Replace("$__rate_interval", "1m", StringComparison.Ordinal),
                    expression.Contains("gridtrain_gpu_", StringComparison.Ordinal)));
            }
        }

        return queries;
    }
}

/// <summary>One PromQL target of a panel; <paramref name="Gpu"/> when it reads GPU metrics.</summary>
public sealed record DashboardQuery(string Panel, string Expression, bool Gpu);
