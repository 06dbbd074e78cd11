using GridTrain.Domain.Jobs;
using GridTrain.Training.Tests.Infrastructure;

namespace GridTrain.Training.Tests.Training;

/// <summary>Checkpoints written on another thread, as agents ask: the same checkpoints, each reported only once complete on disk.</summary>
public sealed class BackgroundCheckpointTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Run_WithBackgroundCheckpointWrites_ReportsEveryCheckpointCompleteOnDisk_AndTheSameFinalBytes()
    {
        var spec = Jobs.Synthetic("mlp", epochs: 2, everySteps: 3, keepLast: 100);
        var syncLog = new EventLog();
        var sync = Trainer.Run(Jobs.Request(spec, _directory.Combine("sync")), syncLog.Report, CancellationToken.None);
        var onDiskWhenReported = new List<bool>();
        var backgroundLog = new EventLog(e =>
        {
            if (e is CheckpointWritten written)
            {
                onDiskWhenReported.Add(File.Exists(written.Uri) && File.Exists(Path.ChangeExtension(written.Uri, ".json")));
            }
        });

        var background = Trainer.Run(Jobs.Request(spec, _directory.Combine("background")) with { BackgroundCheckpointWrites = true }, backgroundLog.Report, CancellationToken.None);

        Assert.Equal(syncLog.OfType<CheckpointWritten>().Select(c => c.Step), backgroundLog.OfType<CheckpointWritten>().Select(c => c.Step));
        Assert.All(onDiskWhenReported, Assert.True);
        Assert.Equal(sync.Steps, background.Steps);
        Assert.Equal(File.ReadAllBytes(sync.CheckpointPath!), File.ReadAllBytes(background.CheckpointPath!));
        Assert.IsType<TrainingFinished>(backgroundLog.Events[^1]);
    }
}
