using System.Net;
using Grpc.Core;
using GridTrain.Client;
using GridTrain.Controller.Hosting;
using GridTrain.Domain.Coordination;
using GridTrain.Domain.Quotas;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Testing;
using GridTrain.Protos.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using GpuDevice = GridTrain.Domain.Agents.GpuDevice;

namespace GridTrain.IntegrationTests;

/// <summary>
/// Compute units end to end: a real controller on a driven clock, and an in-process agent whose fake NVML advertises an
/// H100 and a T4. Two sessions burn at their models' rates; at the limit the user is refused with a message naming it.
/// </summary>
public sealed class ComputeUnitApiTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly string _root = Directory.CreateTempSubdirectory("gridtrain-units-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 8, 0, 0, TimeSpan.Zero));
    private readonly FakeGpuMonitor _gpus = new(
        new GpuDevice(0, "GPU-11111111-2222-3333-4444-555555555555", "NVIDIA H100 80GB HBM3", 80L << 30),
        new GpuDevice(1, "GPU-66666666-7777-8888-9999-000000000000", "Tesla T4", 16L << 30));

    private ControllerServer _controller = null!;
    private InProcessAgent _agent = null!;

    public async Task InitializeAsync()
    {
        var options = new GridOptions
        {
            HeartbeatInterval = TimeSpan.FromMilliseconds(500),
            AgentTimeout = TimeSpan.FromDays(7),
            DefaultIdleTimeout = TimeSpan.FromHours(12),
            Quota = new QuotaOptions { UnitsPerWindow = 10, Rates = UnitRates.Parse(["H100=6", "T4=1", "cpu=0.5"]) },
        };
        _controller = ControllerServer.Create(
            new IPEndPoint(IPAddress.Loopback, 0),
            options,
            services => services.AddSingleton<TimeProvider>(_time),
            metricsListen: new IPEndPoint(IPAddress.Loopback, 0));
        await _controller.StartAsync(CancellationToken.None);
        _agent = InProcessAgent.Start(_controller.Address, "mixed-node", Path.Combine(_root, "agent"), options => options.CpuSlots = 1, _gpus);
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        await _controller.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task TwoGpuModels_BurnAtTheirRates_AndTheUserIsRefusedAtTheLimit_NamingIt()
    {
        using var alice = new GridTrainClient(_controller.Address, token: await _controller.CreateTokenAsync("alice"));
        using var bob = new GridTrainClient(_controller.Address, token: await _controller.CreateTokenAsync("bob"));
        await Poll.UntilAsync(
            async ct => (await alice.Fleet.ListAgentsAsync(new ListAgentsRequest(), cancellationToken: ct)).Agents.FirstOrDefault(a => a.Inventory.Gpus.Count == 2),
            Timeout,
            () => "the agent never registered its two GPUs");

        var onH100 = await ReadyAsync(alice, await Create(alice, "H100"));
        var onT4 = await ReadyAsync(alice, await Create(alice, "T4"));
        Assert.Equal((6.0, 1.0), (onH100.UnitsPerHour, onT4.UnitsPerHour));
        Assert.Equal(7, (await alice.Sessions.GetQuotaAsync(new GetQuotaRequest())).BurnRate, 6);

        _time.Advance(TimeSpan.FromHours(1));
        var quota = await alice.Sessions.GetQuotaAsync(new GetQuotaRequest());
        Assert.Equal(7, quota.UnitsSpent, 6);
        Assert.Equal(10, quota.UnitsPerWindow);
        Assert.Equal(6, (await alice.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = onH100.Id })).UnitsSpent, 6);

        _time.Advance(TimeSpan.FromMinutes(30));
        var error = await Assert.ThrowsAsync<RpcException>(() => Create(alice, "T4"));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.True(error.Status.Detail.Contains("compute units: alice spent 10.5 of 10 in the last 24h (burning 7/h now)", StringComparison.Ordinal), error.Status.Detail);
        Assert.Contains("units free from 2026-12-03 08:00:00Z", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("refuse", (await alice.Sessions.GetQuotaAsync(new GetQuotaRequest())).WhenExhausted);
        await Create(bob, "T4");

        var spent = await Poll.UntilAsync(
            async ct =>
            {
                _time.Advance(TimeSpan.FromSeconds(5));
                var scrape = await Http.GetStringAsync(new Uri(_controller.MetricsAddress!, "/metrics"), ct);
                var lines = scrape.Split('\n');
                var spentLine = lines.FirstOrDefault(l => l.StartsWith("gridtrain_units_spent_total{", StringComparison.Ordinal) && l.Contains("user=\"alice\"", StringComparison.Ordinal) && !l.EndsWith(" 0", StringComparison.Ordinal));
                return spentLine is not null && lines.Any(l => l.StartsWith("gridtrain_units_burn_rate_per_hour{", StringComparison.Ordinal) && l.Contains("user=\"bob\"", StringComparison.Ordinal)) ? spentLine : null;
            },
            Timeout,
            () => "the controller never exported alice's units spent and bob's burn rate (gridtrain_units_spent_total, gridtrain_units_burn_rate_per_hour)");
        Assert.True(double.Parse(spent[(spent.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture) >= 10.5, spent);
    }

    private static async Task<Session> Create(GridTrainClient client, string model) =>
        await client.Sessions.CreateSessionAsync(new CreateSessionRequest { Resources = new ResourceRequest { Runtime = Runtime.Gpu, GpuCount = 1, GpuModel = model } });

    private static Task<Session> ReadyAsync(GridTrainClient client, Session session) =>
        Poll.UntilAsync(
            async ct => await client.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = session.Id }, cancellationToken: ct) is { State: SessionState.Ready } ready ? ready : null,
            Timeout,
            () => $"session {session.Id} never became READY");
}
