using GridTrain.Domain.Jobs;

namespace GridTrain.Agent.Jobs.Commands;

/// <summary>
/// What a command job tells the grid besides its output lines: its events file, the checkpoints it commits and its
/// TensorBoard files, read in that order on each <see cref="Scan"/> (so a checkpoint takes the step of the events line
/// written before it). Remembers what the job's result reports when it exits 0.
/// </summary>
internal sealed class CommandOutputs(CommandDirectories directories)
{
    private readonly EventsFileTail _events = new(directories.EventsFile);
    private readonly CheckpointDirectoryWatcher _checkpoints = new(directories.CheckpointDirectory, directories.CommittedDirectory);
    private readonly TensorBoardTail _tensorBoard = new(directories.TensorBoardDirectory);
    private ProgressReported? _progress;
    private double? _accuracy;
    private string _checkpoint = "";

    /// <summary>Everything new since the last call.</summary>
    public IReadOnlyList<TrainingEvent> Scan()
    {
        var found = new List<TrainingEvent>(_events.Read());
        found.AddRange(_checkpoints.Scan(_events.LastStep));
        found.AddRange(_tensorBoard.Read());
        foreach (var e in found)
        {
            switch (e)
            {
                case ProgressReported progress:
                    _progress = progress;
                    break;
                case EpochEvaluated evaluated:
                    _accuracy = evaluated.TestAccuracy;
                    break;
                case CheckpointWritten written:
                    _checkpoint = written.Uri;
                    break;
            }
        }

        return found;
    }

    /// <summary>The result of a run that exited 0: its last step, accuracy and checkpoint.</summary>
    public TrainingFinished Finished() =>
        new(_progress?.Step ?? 0, _accuracy, _checkpoint, directories.TensorBoardDirectory, _progress?.SamplesPerSecond ?? 0);
}

/// <summary>Where an attempt of a command job writes what the grid reads (outside the workspace, like a built-in job's files).</summary>
/// <param name="CheckpointDirectory">Where the program commits checkpoints (<c>GRIDTRAIN_CHECKPOINT_DIR</c>).</param>
/// <param name="EventsFile">Where it appends its events (<c>GRIDTRAIN_EVENTS</c>).</param>
/// <param name="TensorBoardDirectory">Where it writes TensorBoard files (<c>GRIDTRAIN_TENSORBOARD_DIR</c>).</param>
/// <param name="CommittedDirectory">Where the agent keeps them, each with its manifest, once taken.</param>
internal sealed record CommandDirectories(string CheckpointDirectory, string EventsFile, string TensorBoardDirectory, string CommittedDirectory)
{
    /// <summary>The directories of the attempt whose work directory is <paramref name="attemptDirectory"/>.</summary>
    public static CommandDirectories In(string attemptDirectory) =>
        new(Path.Combine(attemptDirectory, "checkpoints"), Path.Combine(attemptDirectory, "events.jsonl"), Path.Combine(attemptDirectory, "tensorboard"), Path.Combine(attemptDirectory, "committed"));
}
