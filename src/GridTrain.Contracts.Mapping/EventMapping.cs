using GridTrain.Domain;
using GridTrain.Domain.Jobs;

namespace GridTrain.Contracts.Mapping;

/// <summary>Job events and results between the wire and the domain.</summary>
public static class EventMapping
{
    public static Protos.V1.JobEvent ToProto(this JobEvent jobEvent)
    {
        var message = jobEvent.Data.ToProtoEvent();
        message.Sequence = jobEvent.Sequence;
        message.Time = jobEvent.Time.ToTimestamp();
        return message;
    }

    /// <summary>A domain event as a wire event without sequence or time.</summary>
    public static Protos.V1.JobEvent ToProtoEvent(this TrainingEvent data) => data switch
    {
        JobStateChanged s => new Protos.V1.JobEvent { StateChanged = new Protos.V1.JobStateChanged { State = s.State.ToProto(), Reason = s.Reason } },
        ProgressReported p => new Protos.V1.JobEvent { Progress = p.ToProto() },
        EpochEvaluated e => new Protos.V1.JobEvent { Epoch = new Protos.V1.EpochEvaluated { Epoch = e.Epoch, TrainLoss = e.TrainLoss, TestLoss = e.TestLoss, TestAccuracy = e.TestAccuracy } },
        CheckpointWritten c => new Protos.V1.JobEvent { Checkpoint = new Protos.V1.CheckpointWritten { Step = c.Step, Uri = c.Uri } },
        LogWritten l => new Protos.V1.JobEvent { Log = new Protos.V1.LogLine { Stream = l.Stream, Text = l.Text } },
        TensorBoardWritten t => new Protos.V1.JobEvent
        {
            Tensorboard = new Protos.V1.TensorBoardChunk { File = t.File, Offset = t.Offset, Data = Google.Protobuf.ByteString.CopyFrom(t.Data) },
        },
        TrainingFailed f => new Protos.V1.JobEvent { Log = new Protos.V1.LogLine { Stream = "stderr", Text = f.Reason } },
        TrainingFinished f => new Protos.V1.JobEvent { Log = new Protos.V1.LogLine { Stream = "stdout", Text = $"finished after {f.Steps} steps" } },
        _ => throw new ArgumentOutOfRangeException(nameof(data), data.GetType().Name, "unknown event"),
    };

    /// <summary>An event reported by an agent; unknown or empty kinds are refused naming the index.</summary>
    public static TrainingEvent ToDomain(this Protos.V1.JobEvent message, int index) => message.KindCase switch
    {
        Protos.V1.JobEvent.KindOneofCase.Progress => new ProgressReported(
            message.Progress.Step, message.Progress.TotalSteps, message.Progress.Epoch, message.Progress.Loss, message.Progress.SamplesPerSecond, message.Progress.EtaSeconds),
        Protos.V1.JobEvent.KindOneofCase.Epoch => new EpochEvaluated(message.Epoch.Epoch, message.Epoch.TrainLoss, message.Epoch.TestLoss, message.Epoch.TestAccuracy),
        Protos.V1.JobEvent.KindOneofCase.Checkpoint => new CheckpointWritten(message.Checkpoint.Step, message.Checkpoint.Uri),
        Protos.V1.JobEvent.KindOneofCase.Log => new LogWritten(message.Log.Stream, message.Log.Text),
        Protos.V1.JobEvent.KindOneofCase.Tensorboard => TensorBoardToDomain(message.Tensorboard, index),
        _ => throw new GridException(GridError.InvalidArgument, $"events[{index}]: must be progress, epoch, checkpoint, log or tensorboard, got {message.KindCase}"),
    };

    /// <summary>Largest TensorBoard chunk an agent may report, in bytes.</summary>
    public const int MaxTensorBoardChunkBytes = 256 * 1024;

    private static TensorBoardWritten TensorBoardToDomain(Protos.V1.TensorBoardChunk chunk, int index)
    {
        // The name becomes a file name on the machine that runs `gridtrain job tensorboard`: a plain name only.
        if (chunk.File.Length is 0 or > 255 || chunk.File != Path.GetFileName(chunk.File) || chunk.File is "." or "..")
        {
            throw new GridException(GridError.InvalidArgument, $"events[{index}].tensorboard.file: must be a plain file name, got '{chunk.File}'");
        }

        if (chunk.Offset < 0 || chunk.Data.Length > MaxTensorBoardChunkBytes)
        {
            throw new GridException(GridError.InvalidArgument, $"events[{index}].tensorboard: offset must not be negative and data at most {MaxTensorBoardChunkBytes} bytes");
        }

        return new TensorBoardWritten(chunk.File, chunk.Offset, chunk.Data.ToByteArray());
    }

    public static Protos.V1.TrainingProgress ToProto(this ProgressReported p) => new()
    {
        Step = p.Step,
        TotalSteps = p.TotalSteps,
        Epoch = p.Epoch,
        Loss = p.Loss,
        SamplesPerSecond = p.SamplesPerSecond,
        EtaSeconds = p.EtaSeconds,
    };

    public static Protos.V1.JobResult ToProto(this JobResult result)
    {
        var message = new Protos.V1.JobResult
        {
            State = result.State.ToProto(),
            Reason = result.Reason,
            Steps = result.Steps,
            CheckpointUri = result.CheckpointUri,
            TensorboardDir = result.TensorBoardDirectory,
            SamplesPerSecond = result.SamplesPerSecond,
            InfrastructureFailure = result.Retryable,
            StoppedEarly = result.StoppedEarly,
            BestEpoch = result.BestEpoch,
            BestModelUri = result.BestModelUri,
        };
        if (result.TestAccuracy is { } accuracy)
        {
            message.TestAccuracy = accuracy;
        }

        if (result.ExitCode is { } exitCode)
        {
            message.ExitCode = exitCode;
        }

        if (result.GpuFault is { } fault)
        {
            message.GpuFault = fault.ToProto();
        }

        return message;
    }

    /// <summary>A result reported by an agent.</summary>
    public static JobResult ToDomain(this Protos.V1.JobResult? message)
    {
        if (message is null)
        {
            throw new GridException(GridError.InvalidArgument, "result: required");
        }

        return new JobResult
        {
            State = message.State.ToDomain("result.state"),
            Reason = message.Reason,
            Steps = message.Steps,
            TestAccuracy = message.HasTestAccuracy ? message.TestAccuracy : null,
            CheckpointUri = message.CheckpointUri,
            TensorBoardDirectory = message.TensorboardDir,
            SamplesPerSecond = message.SamplesPerSecond,
            ExitCode = message.HasExitCode ? message.ExitCode : null,
            Retryable = message.InfrastructureFailure,
            StoppedEarly = message.StoppedEarly,
            BestEpoch = message.BestEpoch,
            BestModelUri = message.BestModelUri,
            GpuFault = message.GpuFault is { Healthy: false } fault ? fault.ToDomain("result.gpu_fault") : null,
        };
    }

    public static Protos.V1.JobState ToProto(this JobState state) => state switch
    {
        JobState.Queued => Protos.V1.JobState.Queued,
        JobState.Running => Protos.V1.JobState.Running,
        JobState.Succeeded => Protos.V1.JobState.Succeeded,
        JobState.Failed => Protos.V1.JobState.Failed,
        JobState.Cancelled => Protos.V1.JobState.Cancelled,
        _ => Protos.V1.JobState.Unspecified,
    };

    public static JobState ToDomain(this Protos.V1.JobState state, string field) => state switch
    {
        Protos.V1.JobState.Queued => JobState.Queued,
        Protos.V1.JobState.Running => JobState.Running,
        Protos.V1.JobState.Succeeded => JobState.Succeeded,
        Protos.V1.JobState.Failed => JobState.Failed,
        Protos.V1.JobState.Cancelled => JobState.Cancelled,
        _ => throw new GridException(GridError.InvalidArgument, $"{field}: unknown job state {(int)state}"),
    };
}
