using Grpc.Core;
using GridTrain.Contracts.Mapping;
using GridTrain.Domain.Grid;
using GridTrain.Protos.V1;

namespace GridTrain.Controller.Grpc;

/// <summary>The user-facing session API over <see cref="GridCoordinator"/>.</summary>
internal sealed class SessionGrpcService(GridCoordinator grid) : SessionService.SessionServiceBase
{
    public override async Task<Session> CreateSession(CreateSessionRequest request, ServerCallContext context)
    {
        var session = await grid.CreateSessionAsync(
            request.Resources.ToDomain("resources"),
            request.Priority,
            request.DisplayName,
            context.CancellationToken,
            request.IdleTimeout.ToDomain("idle_timeout"),
            request.MaxLifetime.ToDomain("max_lifetime"),
            CallerIdentity.Owner(context));
        return session.ToProto();
    }

    public override async Task<Session> ResumeSession(ResumeSessionRequest request, ServerCallContext context) =>
        (await grid.ResumeSessionAsync(request.SessionId, context.CancellationToken)).ToProto();

    public override async Task<IdleExplanation> ExplainIdleness(ExplainIdlenessRequest request, ServerCallContext context) =>
        (await grid.ExplainIdlenessAsync(request.SessionId, context.CancellationToken)).ToProto(request.SessionId);

    public override async Task<Quota> GetQuota(GetQuotaRequest request, ServerCallContext context) =>
        (await grid.GetQuotaAsync(CallerIdentity.Owner(context), context.CancellationToken)).ToProto();

    public override async Task<Session> KeepAlive(KeepAliveRequest request, ServerCallContext context) =>
        (await grid.KeepAliveAsync(request.SessionId, context.CancellationToken)).ToProto();

    public override async Task<Session> GetSession(GetSessionRequest request, ServerCallContext context) =>
        (await grid.GetSessionAsync(request.SessionId, context.CancellationToken)).ToProto();

    public override async Task<ListSessionsResponse> ListSessions(ListSessionsRequest request, ServerCallContext context)
    {
        var sessions = await grid.ListSessionsAsync(request.IncludeEnded, context.CancellationToken);
        return new ListSessionsResponse { Sessions = { sessions.Select(s => s.ToProto()) } };
    }

    public override async Task<Session> TerminateSession(TerminateSessionRequest request, ServerCallContext context) =>
        (await grid.TerminateSessionAsync(request.SessionId, "terminated by user", context.CancellationToken)).ToProto();

    public override Task WatchSession(WatchSessionRequest request, IServerStreamWriter<SessionEvent> responseStream, ServerCallContext context) =>
        EventRelay.RunAsync(
            grid.Changes,
            ChangeNotifier.SessionKey(request.SessionId),
            request.AfterSequence,
            (after, ct) => grid.ReadSessionChangesAsync(request.SessionId, after, ct),
            c => c.Sequence,
            (c, ct) => responseStream.WriteAsync(c.ToProto(), ct),
            (_, _) => Task.FromResult(false),
            int.MaxValue,
            context.CancellationToken);
}
