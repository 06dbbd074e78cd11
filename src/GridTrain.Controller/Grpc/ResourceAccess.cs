using GridTrain.Controller.Security;
using GridTrain.Domain;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Sessions;
using GridTrain.Domain.Storage;

namespace GridTrain.Controller.Grpc;

/// <summary>
/// Who may see what: a user sees their own sessions and the jobs (and events) in them, an admin everything. Another
/// user's id is answered exactly like an unknown one (NOT_FOUND), so ids do not leak. Reads the store directly, so
/// a check has no side effect on the session (no activity is recorded).
/// </summary>
internal sealed class ResourceAccess(IGridStore store)
{
    public async Task<Session> SessionAsync(Caller caller, string sessionId, CancellationToken cancellationToken)
    {
        RequestLimits.Id(sessionId, "session_id");
        var session = await store.GetSessionAsync(sessionId, cancellationToken);
        return session is not null && caller.MaySee(session.Owner) ? session : throw GridException.NotFound("session", sessionId);
    }

    public async Task<Job> JobAsync(Caller caller, string jobId, CancellationToken cancellationToken)
    {
        RequestLimits.Id(jobId, "job_id");
        var job = await store.GetJobAsync(jobId, cancellationToken);
        if (job is not null && (caller.IsAdmin || (await store.GetSessionAsync(job.SessionId, cancellationToken)) is { } session && caller.MaySee(session.Owner)))
        {
            return job;
        }

        throw GridException.NotFound("job", jobId);
    }

    /// <summary>Ids of the sessions the caller may see; null for an admin (all).</summary>
    public async Task<HashSet<string>?> VisibleSessionIdsAsync(Caller caller, CancellationToken cancellationToken) =>
        caller.IsAdmin
            ? null
            : (await store.ListSessionsAsync(cancellationToken)).Where(s => caller.MaySee(s.Owner)).Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
}
