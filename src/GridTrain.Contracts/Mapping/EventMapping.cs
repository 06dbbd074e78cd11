using GridTrain.Domain;
using Jobs = GridTrain.Domain.Jobs;
using Wire = GridTrain.Protos.V1;

namespace GridTrain.Contracts.Mapping;

/// <summary>Job events and results between the wire and the domain.</summary>
public static class EventMapping
{
    public static Wire.JobEvent ToProto(this Jobs.JobEvent jobEvent)
    {
        var message = jobEvent.Data.ToProtoEvent();
        message.Sequence = jobEvent.Sequence;
        message.Time = jobEvent.Time.ToTimestamp();
        return message;
    }

    /// <summary>A domain event as a wire event without sequence or time.</summary>
    public static Wire.JobEvent ToProtoEvent(this Jobs.TrainingEvent data) => data switch
    {
        Jobs.JobStateChanged s => new Wire.JobEvent { StateChanged = new Wire.JobStateChanged { State = s.State.ToProto(), Reason = s.Reason } },
        Jobs.ProgressReported p => new Wire.JobEvent { Progress = p.ToProto() },
        Jobs.EpochEvaluated e => new Wire.JobEvent { Epoch = new Wire.EpochEvaluated { Epoch = e.Epoch, TrainLoss = e.TrainLoss, TestLoss = e.TestLoss, TestAccuracy = e.TestAccuracy } },
        Jobs.CheckpointWritten c => new Wire.JobEvent { Checkpoint = new Wire.CheckpointWritten { Step = c.Step, Uri = c.Uri } },
        Jobs.LogWritten l => new Wire.JobEvent { Log = new Wire.LogLine { Stream = l.Stream, Text = l.Text } },
        Jobs.TensorBoardWritten t => new Wire.JobEvent
        {
            Tensorboard = new Wire.TensorBoardChunk { File = t.File, Offset = t.Offset, Data = Google.Protobuf.ByteString.CopyFrom(t.Data) },
        },
        Jobs.TrainingFailed f => new Wire.JobEvent { Log = new Wire.LogLine { Stream = "stderr", Text = f.Reason } },
        Jobs.TrainingFinished f => new Wire.JobEvent { Log = new Wire.LogLine { Stream = "stdout", Text = $"finished after {f.Steps} steps" } },
        _ => throw new ArgumentOutOfRangeException(nameof(data), data.GetType().Name, "unknown event"),
    };

    /// <summary>An event reported by an agent; unknown or empty kinds are refused naming the index.</summary>
    public static Jobs.TrainingEvent ToDomain(this Wire.JobEvent message, int index) => message.KindCase switch
    {
        Wire.JobEvent.KindOneofCase.Progress => new Jobs.ProgressReported(
            message.Progress.Step, message.Progress.TotalSteps, message.Progress.Epoch, message.Progress.Loss, message.Progress.SamplesPerSecond, message.Progress.EtaSeconds),
        Wire.JobEvent.KindOneofCase.Epoch => new Jobs.EpochEvaluated(message.Epoch.Epoch, message.Epoch.TrainLoss, message.Epoch.TestLoss, message.Epoch.TestAccuracy),
        Wire.JobEvent.KindOneofCase.Checkpoint => new Jobs.CheckpointWritten(message.Checkpoint.Step, message.Checkpoint.Uri),
        Wire.JobEvent.KindOneofCase.Log => new Jobs.LogWritten(message.Log.Stream, message.Log.Text),
        Wire.JobEvent.KindOneofCase.Tensorboard => TensorBoardToDomain(message.Tensorboard, index),
        _ => throw new GridException(GridError.InvalidArgument, $"events[{index}]: must be progress, epoch, checkpoint, log or tensorboard, got {message.KindCase}"),
    };

    /// <summary>Largest TensorBoard chunk an agent may report, in bytes.</summary>
    public const int MaxTensorBoardChunkBytes = 256 * 1024;

    private static Jobs.TensorBoardWritten TensorBoardToDomain(Wire.TensorBoardChunk chunk, int index)
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

        return new Jobs.TensorBoardWritten(chunk.File, chunk.Offset, chunk.Data.ToByteArray());
    }

    public static Wire.TrainingProgress ToProto(this Jobs.ProgressReported p) => new()
    {
        Step = p.Step,
        TotalSteps = p.TotalSteps,
        Epoch = p.Epoch,
        Loss = p.Loss,
        SamplesPerSecond = p.SamplesPerSecond,
        EtaSeconds = p.EtaSeconds,
    };

    public static Wire.JobResult ToProto(this Jobs.JobResult result)
    {
        var message = new Wire.JobResult
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

        return message;
    }

    /// <summary>A result reported by an agent.</summary>
    public static Jobs.JobResult ToDomain(this Wire.JobResult? message)
    {
        if (message is null)
        {
            throw new GridException(GridError.InvalidArgument, "result: required");
        }

        return new Jobs.JobResult
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
        };
    }

    public static Wire.JobState ToProto(this Jobs.JobState state) => state switch
    {
        Jobs.JobState.Queued => Wire.JobState.Queued,
        Jobs.JobState.Running => Wire.JobState.Running,
        Jobs.JobState.Succeeded => Wire.JobState.Succeeded,
        Jobs.JobState.Failed => Wire.JobState.Failed,
        Jobs.JobState.Cancelled => Wire.JobState.Cancelled,
        _ => Wire.JobState.Unspecified,
    };

    public static Jobs.JobState ToDomain(this Wire.JobState state, string field) => state switch
    {
        Wire.JobState.Queued => Jobs.JobState.Queued,
        Wire.JobState.Running => Jobs.JobState.Running,
        Wire.JobState.Succeeded => Jobs.JobState.Succeeded,
        Wire.JobState.Failed => Jobs.JobState.Failed,
        Wire.JobState.Cancelled => Jobs.JobState.Cancelled,
        _ => throw new GridException(GridError.InvalidArgument, $"{field}: unknown job state {(int)state}"),
    };
}
