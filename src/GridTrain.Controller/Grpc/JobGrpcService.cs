using Grpc.Core;
using GridTrain.Contracts.Mapping;
using GridTrain.Domain.Grid;
using GridTrain.Protos.V1;

namespace GridTrain.Controller.Grpc;

/// <summary>The user-facing job API over <see cref="GridCoordinator"/>.</summary>
internal sealed class JobGrpcService(GridCoordinator grid) : JobService.JobServiceBase
{
    private const int EventBatch = 256;

    public override async Task<Job> SubmitJob(SubmitJobRequest request, ServerCallContext context)
    {
        var hasSession = !string.IsNullOrEmpty(request.SessionId);
        if (hasSession == (request.Batch is not null))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "set exactly one of session_id (run in an existing session) and batch (run in a session of its own)"));
        }

        var spec = request.Spec.ToDomain();
        var job = hasSession
            ? await grid.SubmitJobAsync(request.SessionId, spec, context.CancellationToken)
            : await grid.SubmitBatchJobAsync(request.Batch!.Resources.ToDomain("batch.resources"), request.Batch.Priority, spec, context.CancellationToken, CallerIdentity.Owner(context));
        return job.ToProto();
    }

    public override async Task<Job> GetJob(GetJobRequest request, ServerCallContext context) =>
        (await grid.GetJobAsync(request.JobId, context.CancellationToken)).ToProto();

    public override async Task<ListJobsResponse> ListJobs(ListJobsRequest request, ServerCallContext context)
    {
        var jobs = await grid.ListJobsAsync(request.SessionId, context.CancellationToken);
        return new ListJobsResponse { Jobs = { jobs.Select(j => j.ToProto()) } };
    }

    public override async Task<Job> CancelJob(CancelJobRequest request, ServerCallContext context) =>
        (await grid.CancelJobAsync(request.JobId, "cancelled by user", context.CancellationToken)).ToProto();

    public override Task StreamJobEvents(StreamJobEventsRequest request, IServerStreamWriter<JobEvent> responseStream, ServerCallContext context) =>
        EventRelay.RunAsync(
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
