using GridTrain.Testing.Network;
using Grpc.Core;
using GridTrain.Client;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;

namespace GridTrain.IntegrationTests.HighAvailability;

/// <summary>
/// A controller that falls silent without closing anything (paused, partitioned, a half-open connection): clients and
/// agents must not wait on it forever. Keepalive pings fail an open stream; a call whose deadline passes moves the
/// invoker to the other replica. The silence is a <see cref="BlackholeProxy"/> cut between client and controller.
/// </summary>
public sealed class SilentControllerTests(ControllerFixture controller) : IClassFixture<ControllerFixture>
{
    [Fact]
    public async Task OpenStreamToASilentController_FailsUnavailableOnceAPingGoesUnanswered_AndTheNextCallGoesToTheOtherReplica()
    {
        await using var proxy = new BlackholeProxy(controller.Address);
        using var invoker = ControllerChannel.CreateInvoker(proxy.Address, new GridTrainClientOptions
        {
            OtherControllers = [controller.Address],
            KeepAlivePingDelay = TimeSpan.FromSeconds(1),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(1),
        }, () => ControllerChannel.ResolveToken(null));
        var sessions = new SessionService.SessionServiceClient(invoker);
        using var watch = sessions.WatchSessions(new WatchSessionsRequest());
        Assert.True(await watch.ResponseStream.MoveNext(CancellationToken.None));

        proxy.Cut();
        var failed = await Assert.ThrowsAsync<RpcException>(() => watch.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(GridEvents.Timeout));

        Assert.True(failed.StatusCode == StatusCode.Unavailable, $"{failed.StatusCode}: {failed.Status.Detail} {failed.Status.DebugException}");
        Assert.Equal(controller.Address, invoker.Current);
        await sessions.ListSessionsAsync(new ListSessionsRequest());
    }

    [Fact]
    public async Task UnaryCallToASilentController_DeadlineExceeded_MovesTheInvokerSoTheNextCallIsAnswered()
    {
        await using var proxy = new BlackholeProxy(controller.Address);
        using var invoker = ControllerChannel.CreateInvoker(proxy.Address, new GridTrainClientOptions { OtherControllers = [controller.Address] }, () => ControllerChannel.ResolveToken(null));
        var sessions = new SessionService.SessionServiceClient(invoker);
        await sessions.ListSessionsAsync(new ListSessionsRequest());

        proxy.Cut();
        var silent = await Assert.ThrowsAsync<RpcException>(() => sessions.ListSessionsAsync(new ListSessionsRequest(), deadline: DateTime.UtcNow.AddSeconds(1)).ResponseAsync);

        Assert.Equal(StatusCode.DeadlineExceeded, silent.StatusCode);
        Assert.Equal(controller.Address, invoker.Current);
        await sessions.ListSessionsAsync(new ListSessionsRequest(), deadline: DateTime.UtcNow.Add(GridEvents.Timeout));
    }

    [Fact]
    public async Task LoneController_DeadlineExceeded_StaysOnIt()
    {
        await using var proxy = new BlackholeProxy(controller.Address);
        using var invoker = ControllerChannel.CreateInvoker(proxy.Address, new GridTrainClientOptions(), () => ControllerChannel.ResolveToken(null));
        var sessions = new SessionService.SessionServiceClient(invoker);

        proxy.Cut();
        await Assert.ThrowsAsync<RpcException>(() => sessions.ListSessionsAsync(new ListSessionsRequest(), deadline: DateTime.UtcNow.AddSeconds(1)).ResponseAsync);
        proxy.Heal();

        Assert.Equal(proxy.Address, invoker.Current);
        await sessions.ListSessionsAsync(new ListSessionsRequest(), deadline: DateTime.UtcNow.Add(GridEvents.Timeout));
    }
}
