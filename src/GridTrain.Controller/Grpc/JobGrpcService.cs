using Grpc.Core;
using GridTrain.Contracts.Mapping;
using GridTrain.Controller.Security;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.Protos.V1;

namespace GridTrain.Controller.Grpc;

/// <summary>The user-facing job API over <see cref="GridCoordinator"/>; each user sees only jobs in their own sessions (admins all).</summary>
internal sealed class JobGrpcService(GridCoordinator grid, ResourceAccess access, ControllerSecurityOptions security) : JobService.JobServiceBase
{
    private const int EventBatch = 256;

    public override async Task<Job> SubmitJob(SubmitJobRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var hasSession = !string.IsNullOrEmpty(request.SessionId);
        if (hasSession == (request.Batch is not null))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "set exactly one of session_id (run in an existing session) and batch (run in a session of its own)"));
        }

        if (hasSession)
        {
            await access.SessionAsync(caller, request.SessionId, context.CancellationToken);
        }

        RequestLimits.Spec(request.Spec, security.DatasetRoots);
        var spec = request.Spec.ToDomain();
        var job = hasSession
            ? await grid.SubmitJobAsync(request.SessionId, spec, context.CancellationToken)
            : await grid.SubmitBatchJobAsync(request.Batch!.Resources.ToDomain("batch.resources"), request.Batch.Priority, spec, context.CancellationToken, caller.User);
        return job.ToProto();
    }

    public override async Task<Job> GetJob(GetJobRequest request, ServerCallContext context)
    {
        await access.JobAsync(context.Caller(), request.JobId, context.CancellationToken);
        return (await grid.GetJobAsync(request.JobId, context.CancellationToken)).ToProto();
    }

    public override async Task<ListJobsResponse> ListJobs(ListJobsRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var sessionId = string.IsNullOrEmpty(request.SessionId) ? null : request.SessionId;
        if (sessionId is not null)
        {
            await access.SessionAsync(caller, sessionId, context.CancellationToken);
        }

        var visible = sessionId is null ? await access.VisibleSessionIdsAsync(caller, context.CancellationToken) : null;
        var jobs = await grid.ListJobsAsync(sessionId, context.CancellationToken);
        return new ListJobsResponse { Jobs = { jobs.Where(j => visible is null || visible.Contains(j.SessionId)).Select(j => j.ToProto()) } };
    }

    public override async Task<Job> CancelJob(CancelJobRequest request, ServerCallContext context)
    {
        await access.JobAsync(context.Caller(), request.JobId, context.CancellationToken);
        return (await grid.CancelJobAsync(request.JobId, "cancelled by user", context.CancellationToken)).ToProto();
    }

    public override async Task StreamJobEvents(StreamJobEventsRequest request, IServerStreamWriter<JobEvent> responseStream, ServerCallContext context)
    {
        await access.JobAsync(context.Caller(), request.JobId, context.CancellationToken);
        await EventRelay.RunAsync(
            grid.Changes,
            ChangeNotifier.JobKey(request.JobId),
            request.AfterSequence,
            (after, ct) => grid.ReadJobEventsAsync(request.JobId, after, EventBatch, ct),
            e => e.Sequence,
            (e, ct) => responseStream.WriteAsync(e.ToProto(), ct),
            async (after, ct) => !request.Follow && (await grid.GetJobAsync(request.JobId, ct)) is { IsFinished: true } job && job.LastEventSequence <= after,
            EventBatch,
            context.CancellationToken);
    }
}
