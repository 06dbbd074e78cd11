using Grpc.Core;
using GridTrain.Contracts.Mapping;
using GridTrain.Controller.Grpc.Tunnels;
using GridTrain.Controller.Security;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.Protos.V1;

namespace GridTrain.Controller.Grpc;

/// <summary>
/// The user-facing session API over <see cref="GridCoordinator"/>; each user sees only their own sessions (admins all).
/// Reads (get, list, watch, idleness, file listings) are not activity on a session; keep-alive, submitting a job,
/// resuming, an exec in progress and a copy are. Exec and files go through <see cref="SessionTunnels"/>.
/// </summary>
internal sealed class SessionGrpcService(GridCoordinator grid, ResourceAccess access, SessionTunnels tunnels, TimeProvider time) : SessionService.SessionServiceBase
{
    public override Task Exec(IAsyncStreamReader<GridTrain.Protos.V1.ExecRequest> requestStream, IServerStreamWriter<ExecResponse> responseStream, ServerCallContext context) =>
        tunnels.ExecAsync(requestStream, responseStream, context);

    public override Task<UploadFilesResponse> UploadFiles(IAsyncStreamReader<UploadFilesRequest> requestStream, ServerCallContext context) =>
        tunnels.UploadAsync(requestStream, context);

    public override Task DownloadFiles(DownloadFilesRequest request, IServerStreamWriter<DownloadFilesResponse> responseStream, ServerCallContext context) =>
        tunnels.DownloadAsync(request, responseStream, context);

    public override Task<ListFilesResponse> ListFiles(ListFilesRequest request, ServerCallContext context) => tunnels.ListAsync(request, context);

    public override async Task<Session> CreateSession(CreateSessionRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        RequestLimits.DisplayName(request.DisplayName, "display_name");
        var session = await grid.CreateSessionAsync(
            request.Resources.ToDomain("resources"),
            request.Priority,
            request.DisplayName,
            context.CancellationToken,
            request.IdleTimeout.ToDomain("idle_timeout"),
            request.MaxLifetime.ToDomain("max_lifetime"),
            caller.User);
        return session.ToProto();
    }

    public override async Task<Session> ResumeSession(ResumeSessionRequest request, ServerCallContext context)
    {
        await access.SessionAsync(context.Caller(), request.SessionId, context.CancellationToken);
        return (await grid.ResumeSessionAsync(request.SessionId, context.CancellationToken)).ToProto();
    }

    public override async Task<IdleExplanation> ExplainIdleness(ExplainIdlenessRequest request, ServerCallContext context)
    {
        await access.SessionAsync(context.Caller(), request.SessionId, context.CancellationToken);
        return (await grid.ExplainIdlenessAsync(request.SessionId, context.CancellationToken)).ToProto(request.SessionId);
    }

    public override async Task<Quota> GetQuota(GetQuotaRequest request, ServerCallContext context) =>
        (await grid.GetQuotaAsync(context.Caller().User, context.CancellationToken)).ToProto();

    public override async Task<Session> KeepAlive(KeepAliveRequest request, ServerCallContext context)
    {
        await access.SessionAsync(context.Caller(), request.SessionId, context.CancellationToken);
        return (await grid.KeepAliveAsync(request.SessionId, context.CancellationToken)).ToProto();
    }

    // Looking is not activity: an open console page or a polling script must not keep a session from idle eviction,
    // so the session is read through the access check (a plain store read) rather than the coordinator's get.
    public override async Task<Session> GetSession(GetSessionRequest request, ServerCallContext context) =>
        (await access.SessionAsync(context.Caller(), request.SessionId, context.CancellationToken)).ToProto(time.GetUtcNow());

    public override Task<ListSessionsResponse> ListSessions(ListSessionsRequest request, ServerCallContext context) =>
        VisibleSessionsAsync(context.Caller(), request.IncludeEnded, context.CancellationToken);

    public override async Task WatchSessions(WatchSessionsRequest request, IServerStreamWriter<ListSessionsResponse> responseStream, ServerCallContext context)
    {
        var caller = context.Caller();
        var cancellationToken = context.CancellationToken;
        while (!cancellationToken.IsCancellationRequested)
        {
            // Taken before the read, so a change stored between the read and the wait is not missed.
            var changed = grid.Changes.NextChange(ChangeNotifier.AnySessionKey);
            await responseStream.WriteAsync(await VisibleSessionsAsync(caller, request.IncludeEnded, cancellationToken), cancellationToken);
            await changed.WaitAsync(cancellationToken);
        }
    }

    public override async Task<SessionResources> GetSessionResources(GetSessionResourcesRequest request, ServerCallContext context)
    {
        await access.SessionAsync(context.Caller(), request.SessionId, context.CancellationToken);
        return (await grid.SessionResourcesAsync(request.SessionId, context.CancellationToken)).ToProto();
    }

    public override async Task WatchSessionResources(GetSessionResourcesRequest request, IServerStreamWriter<SessionResources> responseStream, ServerCallContext context)
    {
        var session = await access.SessionAsync(context.Caller(), request.SessionId, context.CancellationToken);
        await SessionResourcesWatch.RunAsync(grid, session.Id, session.AgentId, responseStream, context.CancellationToken);
    }

    private async Task<ListSessionsResponse> VisibleSessionsAsync(Caller caller, bool includeEnded, CancellationToken cancellationToken)
    {
        var sessions = await grid.ListSessionsAsync(includeEnded, cancellationToken);
        var now = time.GetUtcNow();
        return new ListSessionsResponse { Sessions = { sessions.Where(s => caller.MaySee(s.Owner)).Select(s => s.ToProto(now)) } };
    }

    public override async Task<Session> TerminateSession(TerminateSessionRequest request, ServerCallContext context)
    {
        await access.SessionAsync(context.Caller(), request.SessionId, context.CancellationToken);
        return (await grid.TerminateSessionAsync(request.SessionId, "terminated by user", context.CancellationToken)).ToProto();
    }

    public override async Task WatchSession(WatchSessionRequest request, IServerStreamWriter<SessionEvent> responseStream, ServerCallContext context)
    {
        await access.SessionAsync(context.Caller(), request.SessionId, context.CancellationToken);
        await EventRelay.RunAsync(
            grid.Changes,
            ChangeNotifier.SessionKey(request.SessionId),
            request.AfterSequence,
            (after, ct) => grid.ReadSessionChangesAsync(request.SessionId, after, ct),
            c => c.Sequence,
            (c, ct) => responseStream.WriteAsync(c.ToProto(), ct),
            async (after, ct) => (await grid.GetSessionAsync(request.SessionId, ct)).IsEnded && (await grid.ReadSessionChangesAsync(request.SessionId, after, ct)).Count == 0,
            int.MaxValue,
            context.CancellationToken);
    }
}
