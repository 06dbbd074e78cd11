using GridTrain.Domain.Jobs;

namespace GridTrain.Contracts.Mapping;

/// <summary>Jobs to the wire.</summary>
public static class JobMapping
{
    public static Protos.V1.Job ToProto(this Job job)
    {
        var message = new Protos.V1.Job
        {
            Id = job.Id,
            SessionId = job.SessionId,
            Spec = job.Spec.ToProto(),
            State = job.State.ToProto(),
            Attempt = job.Attempt,
            ResumedFrom = job.ResumedFrom ?? "",
            LatestCheckpoint = job.LatestCheckpoint ?? "",
            CreatedAt = job.CreatedAt.ToTimestamp(),
            StartedAt = job.StartedAt.ToTimestamp(),
            FinishedAt = job.FinishedAt.ToTimestamp(),
            LastEventSequence = job.LastEventSequence,
            UnchargedAttempts = job.UnchargedAttempts,
            GpuFaults = { job.GpuFaults },
        };
        if (job.Progress is { } progress)
        {
            message.Progress = progress.ToProto();
        }

        if (job.Result is { } result)
        {
            message.Result = result.ToProto();
        }

        return message;
    }
}
