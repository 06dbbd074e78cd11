using GridTrain.Domain.Jobs;

namespace GridTrain.Agent.Jobs.Processes;

/// <summary>How a job process ended: exit code, its last training event, why the agent stopped it (if it did), its last error lines.</summary>
public sealed record JobExit(int ExitCode, TrainingEvent? Terminal, string? StopReason, IReadOnlyList<string> StderrTail)
{
    /// <summary>Turns the exit into the job's result. A process killed by a signal the agent did not send is an infrastructure failure.</summary>
    public JobResult ToResult()
    {
        if (Terminal is TrainingFinished finished && ExitCode == 0)
        {
            return new JobResult
            {
                State = JobState.Succeeded,
                Steps = finished.Steps,
                TestAccuracy = finished.TestAccuracy,
                CheckpointUri = finished.CheckpointUri,
                TensorBoardDirectory = finished.TensorBoardDirectory,
                SamplesPerSecond = finished.SamplesPerSecond,
                ExitCode = ExitCode,
                StoppedEarly = finished.StoppedEarly,
                BestEpoch = finished.BestEpoch,
                BestModelUri = finished.BestModelPath,
            };
        }

        if (StopReason is not null)
        {
            return new JobResult { State = JobState.Cancelled, Reason = StopReason, ExitCode = ExitCode };
        }

        if (Terminal is TrainingFailed failed)
        {
            return new JobResult { State = JobState.Failed, Reason = failed.Reason, ExitCode = ExitCode, Retryable = !failed.UserError && ExitCode > 128 };
        }

        var tail = StderrTail.Count > 0 ? ": " + string.Join(" | ", StderrTail.TakeLast(5)) : "";
        if (ExitCode > 128)
        {
            return new JobResult
            {
                State = JobState.Failed,
                Reason = $"job process killed by {Signals.Name(ExitCode - 128)} (exit code {ExitCode}){tail}",
                ExitCode = ExitCode,
                Retryable = true,
            };
        }

        return new JobResult { State = JobState.Failed, Reason = $"job process exited with code {ExitCode} without finishing{tail}", ExitCode = ExitCode };
    }
}
