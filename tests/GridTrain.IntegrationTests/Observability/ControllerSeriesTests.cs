using System.Net;
using GridTrain.Client;
using GridTrain.Controller.Hosting;
using GridTrain.Controller.Metrics;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;
using Microsoft.Extensions.DependencyInjection;

namespace GridTrain.IntegrationTests.Observability;

/// <summary>
/// The controller's per-session series through the real OpenTelemetry Prometheus exporter: ended sessions' series are
/// dropped before the exporter's cardinality limit would send new sessions to its overflow series, and a controller
/// exports only its own series when another shares the process.
/// </summary>
public sealed class ControllerSeriesTests : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly List<(ControllerServer Server, GridTrainClient Client)> _controllers = [];

    public async ValueTask DisposeAsync()
    {
        foreach (var (server, client) in _controllers)
        {
            client.Dispose();
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task SessionsChurnPastTheSeriesLimit_NewSessionsStillExported_EndedOnesGone()
    {
        // A limit of 12 series per gauge: the 30 sessions below would overflow it without recycling.
        var (server, client) = await StartAsync(new ControllerMetricsOptions { RefreshInterval = TimeSpan.FromMilliseconds(100), SessionSeriesLimit = 12 });
        for (var round = 0; round < 6; round++)
        {
            var ids = new List<string>();
            for (var i = 0; i < 5; i++)
            {
                ids.Add((await client.Sessions.CreateSessionAsync(new CreateSessionRequest { Resources = new ResourceRequest { Runtime = Runtime.Cpu } })).Id);
            }

            await ScrapeUntilAsync(server, scrape => ids.All(id => StateLines(scrape).Any(l => l.Contains(id, StringComparison.Ordinal))), $"round {round}'s sessions exported");
            foreach (var id in ids)
            {
                await client.Sessions.TerminateSessionAsync(new TerminateSessionRequest { SessionId = id });
            }

            await ScrapeUntilAsync(server, scrape => StateLines(scrape).Count == 0, $"round {round}'s sessions gone");
        }

        var last = await client.Sessions.CreateSessionAsync(new CreateSessionRequest { Resources = new ResourceRequest { Runtime = Runtime.Cpu } });

        var final = await ScrapeUntilAsync(server, scrape => StateLines(scrape).Any(l => l.Contains(last.Id, StringComparison.Ordinal)), "the last session exported");
        Assert.DoesNotContain("otel_metric_overflow", final, StringComparison.Ordinal);
        Assert.Single(StateLines(final));
    }

    [Fact]
    public async Task TwoControllersInOneProcess_EachExportsOnlyItsOwnSessions()
    {
        var (first, firstClient) = await StartAsync(new ControllerMetricsOptions { RefreshInterval = TimeSpan.FromMilliseconds(100) });
        var (second, secondClient) = await StartAsync(new ControllerMetricsOptions { RefreshInterval = TimeSpan.FromMilliseconds(100) });
        var mine = await firstClient.Sessions.CreateSessionAsync(new CreateSessionRequest { Resources = new ResourceRequest { Runtime = Runtime.Cpu } });
        var theirs = await secondClient.Sessions.CreateSessionAsync(new CreateSessionRequest { Resources = new ResourceRequest { Runtime = Runtime.Cpu } });
        await ScrapeUntilAsync(second, scrape => scrape.Contains(theirs.Id, StringComparison.Ordinal), "the second controller's session exported by it");

        var scrape = await ScrapeUntilAsync(first, scrape => scrape.Contains(mine.Id, StringComparison.Ordinal), "the first controller's session exported by it");

        Assert.DoesNotContain(theirs.Id, scrape, StringComparison.Ordinal);
        Assert.Single(scrape.Split('\n'), line => line.StartsWith("gridtrain_scheduling_queue_depth", StringComparison.Ordinal));
    }

    private async Task<(ControllerServer Server, GridTrainClient Client)> StartAsync(ControllerMetricsOptions metrics)
    {
        var server = ControllerServer.Create(
            new IPEndPoint(IPAddress.Loopback, 0),
            new GridOptions(),
            services => services.AddSingleton(metrics),
            metricsListen: new IPEndPoint(IPAddress.Loopback, 0));
        await server.StartAsync(CancellationToken.None);
        var client = new GridTrainClient(server.Address);
        _controllers.Add((server, client));
        return (server, client);
    }

    private static List<string> StateLines(string scrape) =>
        [.. scrape.Split('\n').Where(line => line.StartsWith("gridtrain_session_state{", StringComparison.Ordinal))];

    private static Task<string> ScrapeUntilAsync(ControllerServer server, Func<string, bool> condition, string what)
    {
        var last = "";
        return Poll.UntilAsync(
            async ct =>
            {
                last = await Http.GetStringAsync(new Uri(server.MetricsAddress!, ControllerMetricsExtensions.MetricsPath), ct);
                return condition(last) ? last : null;
            },
            Timeout,
            () => $"never {what}; the last scrape's session state lines:\n{string.Join('\n', StateLines(last))}");
    }
}
