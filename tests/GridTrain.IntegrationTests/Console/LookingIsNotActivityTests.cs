using System.Net;
using GridTrain.Client;
using GridTrain.Controller.Hosting;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace GridTrain.IntegrationTests.Console;

/// <summary>
/// Looking is not activity: a session that a console page (or a script) keeps reading through the JSON API is still
/// evicted when idle; only keep-alive postpones it. Time is driven with a fake clock.
/// </summary>
public sealed class LookingIsNotActivityTests : IAsyncLifetime
{
    private static readonly TimeSpan s_idleTimeout = TimeSpan.FromMinutes(10);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero));
    private ControllerServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = ControllerServer.Create(
            new IPEndPoint(IPAddress.Loopback, 0),
            new GridOptions { DefaultIdleTimeout = s_idleTimeout, AgentTimeout = TimeSpan.FromDays(1) },
            services => services.AddSingleton<TimeProvider>(_time),
            webListen: new IPEndPoint(IPAddress.Loopback, 0));
        await _server.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task SessionPolledThroughEveryRead_IsStillEvictedWhenIdle_KeepAliveIsNot()
    {
        using var alice = new JsonApi(_server.WebAddress!, await _server.CreateTokenAsync("alice"));
        using var client = new GridTrainClient(_server.Address);
        var agent = await TestAgent.RegisterAsync(client.Channel, "cpu-node", new Inventory { CpuCores = 4, MemoryBytes = 1L << 32, CpuSlots = 2 });
        using var commands = agent.Client.ReceiveCommands(new ReceiveCommandsRequest { AgentId = agent.AgentId });
        var cpu = new { resources = new { runtime = "RUNTIME_CPU" } };
        var watched = (string)(await alice.OkAsync(HttpMethod.Post, "/v1/sessions", cpu))["id"]!;
        var kept = (string)(await alice.OkAsync(HttpMethod.Post, "/v1/sessions", cpu))["id"]!;
        await AssignedAsync(commands, [watched, kept]);
        var grid = _server.Services.GetRequiredService<GridCoordinator>();

        for (var elapsed = TimeSpan.Zero; elapsed <= s_idleTimeout; elapsed += TimeSpan.FromMinutes(2))
        {
            _time.Advance(TimeSpan.FromMinutes(2));
            await alice.GetAsync($"/v1/sessions/{watched}");
            await alice.GetAsync($"/v1/sessions/{watched}/idleness");
            await alice.GetAsync("/v1/sessions");
            await alice.GetAsync($"/v1/jobs?sessionId={watched}");
            await alice.StreamAsync($"/v1/sessions/{watched}/events", 1);
            await alice.StreamAsync("/v1/sessions:watch", 1);
            await alice.GetAsync($"/v1/sessions/{watched}/resources");
            await alice.StreamAsync($"/v1/sessions/{watched}/resources:watch", 1);
            await alice.OkAsync(HttpMethod.Post, $"/v1/sessions/{kept}:keepAlive", new { });
            await grid.SweepAsync(CancellationToken.None);
        }

        var evicted = await alice.GetAsync($"/v1/sessions/{watched}");
        Assert.Equal("SESSION_STATE_EVICTED", (string?)evicted["state"]);
        Assert.Contains("idle for", (string?)evicted["stateReason"], StringComparison.Ordinal);
        Assert.Equal("SESSION_STATE_STARTING", (string?)(await alice.GetAsync($"/v1/sessions/{kept}"))["state"]);
    }

    private static async Task AssignedAsync(Grpc.Core.AsyncServerStreamingCall<Protos.V1.AgentCommand> commands, IReadOnlyCollection<string> sessionIds)
    {
        var pending = sessionIds.ToHashSet(StringComparer.Ordinal);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (pending.Count > 0 && await commands.ResponseStream.MoveNext(timeout.Token))
        {
            pending.Remove(commands.ResponseStream.Current.AssignSession?.SessionId ?? "");
        }
    }
}
