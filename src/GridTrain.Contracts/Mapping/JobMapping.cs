using Jobs = GridTrain.Domain.Jobs;
using Wire = GridTrain.Protos.V1;

namespace GridTrain.Contracts.Mapping;

/// <summary>Jobs to the wire.</summary>
public static class JobMapping
{
    public static Wire.Job ToProto(this Jobs.Job job)
    {
        var message = new Wire.Job
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
