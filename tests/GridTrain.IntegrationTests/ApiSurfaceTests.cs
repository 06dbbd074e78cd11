using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;

namespace GridTrain.IntegrationTests;

public sealed class ApiSurfaceTests(ControllerFixture controller) : IClassFixture<ControllerFixture>
{
    [Fact]
    public async Task Health_Serving()
    {
        var response = await new Health.HealthClient(controller.Client.Channel).CheckAsync(new HealthCheckRequest());

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task Reflection_ListsEveryGridTrainService()
    {
        using var call = new ServerReflection.ServerReflectionClient(controller.Client.Channel).ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));

        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();

        Assert.Contains("gridtrain.v1.SessionService", services);
        Assert.Contains("gridtrain.v1.JobService", services);
        Assert.Contains("gridtrain.v1.AgentService", services);
        Assert.Contains("gridtrain.v1.FleetService", services);
        Assert.Contains("gridtrain.v1.TokenService", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }

    [Fact]
    public async Task WatchSession_ReconnectAfterSequence_ResumesWithoutGapsOrRepeats_AndEndsAfterTheSessionEnded()
    {
        var session = await controller.Client.Sessions.CreateSessionAsync(new CreateSessionRequest { Resources = new ResourceRequest { Runtime = Runtime.Cpu } });
        await controller.Client.Sessions.TerminateSessionAsync(new TerminateSessionRequest { SessionId = session.Id });

        var first = await ReadAsync(session.Id, after: 0, count: 2);
        var rest = await ReadAsync(session.Id, after: first[^1].Sequence, count: 1);

        Assert.Equal([1L, 2L], first.Select(e => e.Sequence));
        Assert.Equal(SessionState.Pending, first[0].State);
        Assert.Equal(SessionState.Terminated, first[1].State);
        Assert.Empty(rest);
    }

    /// <summary>
    /// Up to <paramref name="count"/> events, fewer when the stream ends first (a terminated session's does, after its
    /// last change). Every wait is for an event or the stream's end, never for a silence; the timeout only bounds a hang.
    /// </summary>
    private async Task<List<SessionEvent>> ReadAsync(string sessionId, long after, int count)
    {
        using var timeout = new CancellationTokenSource(GridEvents.Timeout);
        using var call = controller.Client.Sessions.WatchSession(new WatchSessionRequest { SessionId = sessionId, AfterSequence = after }, cancellationToken: timeout.Token);
        var events = new List<SessionEvent>();
        while (events.Count < count && await call.ResponseStream.MoveNext(timeout.Token))
        {
            events.Add(call.ResponseStream.Current);
        }

        return events;
    }
}
