using GridTrain.Protos.V1;

namespace GridTrain.Cli.Output;

/// <summary>Jobs for people.</summary>
internal static class JobView
{
    public static Table Table(IEnumerable<Job> jobs, DateTimeOffset now)
    {
        var table = new Table("ID", "SESSION", "STATE", "MODEL", "DATA", "STEPS", "ACCURACY", "ATTEMPT", "AGE", "NAME");
        foreach (var j in jobs)
        {
            table.Add(
                j.Id,
                j.SessionId,
                Formats.State(j.State),
                j.Spec?.Command is not null ? "command" : j.Spec?.Model?.Name ?? Formats.None,
                j.Spec?.Command is { } command ? ShortCommand(command) : ShortData(j.Spec?.Data),
                Steps(j),
                j.Result is { HasTestAccuracy: true } r ? Formats.Percent(r.TestAccuracy) : Formats.None,
                Formats.Integer(j.Attempt),
                Formats.Age(j.CreatedAt, now),
                j.Spec?.DisplayName is { Length: > 0 } name ? name : Formats.None);
        }

        return table;
    }

    public static Details Details(Job j, DateTimeOffset now)
    {
        var spec = j.Spec ?? new JobSpec();
        var h = spec.Hyperparameters ?? new Hyperparameters();
        var details = new Details()
            .Add("ID", j.Id)
            .Add("Name", spec.DisplayName)
            .Add("Session", j.SessionId)
            .Add("State", Formats.State(j.State))
            .Add("Attempt", Formats.Integer(j.Attempt) + (j.UnchargedAttempts > 0 ? $" ({j.UnchargedAttempts} not charged: infrastructure failures)" : ""))
            .Add("Infrastructure failures", j.GpuFaults.Count > 0 ? string.Join("; ", j.GpuFaults) : null)
            .Add("Resumed from", j.ResumedFrom)
            .Add("Model", spec.Command is null ? spec.Model?.Name : "command (your own program)")
            .Add("Data", spec.Command is null ? LongData(spec.Data) : null)
            .Add("Command", spec.Command is { } command ? string.Join(' ', command.Argv.Select(Quote)) : null)
            .Add("Working dir", spec.Command is { WorkingDirectory.Length: > 0 } c1 ? $"workspace/{c1.WorkingDirectory}" : null)
            .Add("Files", spec.Command is { Files.Length: > 0 } c2 ? $"{c2.Files.Length} bytes uploaded (zip)" : null)
            .Add("Drive folder", spec.Command is { DriveFolderId.Length: > 0 } c3 ? c3.DriveFolderId : null)
            .Add("Training", spec.Command is not null ? null : $"{h.Optimizer} lr {Formats.Number(h.LearningRate)}, batch {h.BatchSize}, {h.Epochs} epoch(s)"
                + (h.MaxSteps > 0 ? $", at most {h.MaxSteps} steps" : "") + $", seed {h.Seed}")
            .Add("Checkpoints", spec.Command is not null ? "files renamed into GRIDTRAIN_CHECKPOINT_DIR" : spec.Checkpoint is { EverySteps: > 0 } c ? $"every {c.EverySteps} steps, keep {c.KeepLast}" : "at epoch ends")
            .Add("Threads", spec.Threads > 0 ? Formats.Integer(spec.Threads) : null)
            .Add("Device", spec.Device.Length > 0 ? spec.Device : null);
        if (j.Progress is { } p)
        {
            details.Add("Progress", ProgressText(p));
        }

        if (j.Result is { } r)
        {
            details
                .Add("Result", Formats.State(r.State) + (r.Reason.Length > 0 ? $": {r.Reason}" : ""))
                .Add("Steps", Formats.Integer(r.Steps))
                .Add("Test accuracy", r.HasTestAccuracy ? Formats.Percent(r.TestAccuracy) : null)
                .Add("Samples/s", r.SamplesPerSecond > 0 ? Formats.Rate(r.SamplesPerSecond) : null)
                .Add("Checkpoint", r.CheckpointUri)
                .Add("TensorBoard", r.TensorboardDir)
                .Add("Best model", r.BestModelUri.Length > 0 ? $"{r.BestModelUri} (epoch {r.BestEpoch})" : null)
                .Add("Stopped early", r.StoppedEarly ? "yes" : null)
                .Add("Exit code", r.HasExitCode ? Formats.Integer(r.ExitCode) : null);
        }

        return details
            .Add("Latest checkpoint", j.Result is null ? j.LatestCheckpoint : null)
            .Add("Created", Formats.Time(j.CreatedAt))
            .Add("Started", j.StartedAt is null ? null : Formats.Time(j.StartedAt))
            .Add("Finished", j.FinishedAt is null ? null : Formats.Time(j.FinishedAt))
            .Add("Age", Formats.Age(j.CreatedAt, now))
            .Add("Events", Formats.Integer(j.LastEventSequence));
    }

    /// <summary><c>step 420/938 (45%), epoch 1, loss 0.4321, 1,850 samples/s, ETA 27s</c>.</summary>
    public static string ProgressText(TrainingProgress p) =>
        $"step {p.Step}/{p.TotalSteps} ({Percent(p)}), epoch {p.Epoch}, loss {Formats.Number(p.Loss)}, "
        + $"{Formats.Rate(p.SamplesPerSecond)} samples/s, ETA {Formats.Duration(TimeSpan.FromSeconds(p.EtaSeconds))}";

    private static string Percent(TrainingProgress p) => p.TotalSteps > 0 ? $"{100 * p.Step / p.TotalSteps}%" : "?";

    private static string Steps(Job j)
    {
        if (j.Result is { Steps: > 0 } r)
        {
            return Formats.Integer(r.Steps);
        }

        return j.Progress is { } p ? $"{p.Step}/{p.TotalSteps}" : Formats.None;
    }

    private static string ShortCommand(CommandSpec command) =>
        command.Argv.Count > 0 ? Path.GetFileName(command.Argv[0]) is { Length: > 0 } program ? program : command.Argv[0] : Formats.None;

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c, StringComparison.Ordinal)) ? argument : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string ShortData(DataSpec? data) => data?.SourceCase switch
    {
        DataSpec.SourceOneofCase.IdxDirectory => Path.GetFileName(data.IdxDirectory.TrimEnd('/')) is { Length: > 0 } name ? name : data.IdxDirectory,
        DataSpec.SourceOneofCase.Synthetic => $"synthetic {data.Synthetic.TrainExamples}",
        _ when data?.Csv is { } csv => Path.GetFileName(csv.TrainPath),
        _ => Formats.None,
    };

    private static string? LongData(DataSpec? data) => data?.SourceCase switch
    {
        DataSpec.SourceOneofCase.IdxDirectory => $"IDX files in {data.IdxDirectory}",
        DataSpec.SourceOneofCase.Synthetic => $"synthetic, {data.Synthetic.TrainExamples} train / {data.Synthetic.TestExamples} test examples, "
            + $"{data.Synthetic.ImageSize}x{data.Synthetic.ImageSize}, {data.Synthetic.Classes} classes",
        _ when data?.Csv is { } csv => $"CSV {csv.TrainPath}" + (csv.TestPath.Length > 0 ? $", test {csv.TestPath}" : ""),
        _ => null,
    };
}
