using GridTrain.Domain.Jobs;
using GridTrain.Training.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace GridTrain.Training.Tests.Training;

public sealed class TrainerTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Run_MaxSteps_StopsThereAndCheckpointsIt()
    {
        // 200 examples in batches of 32: 7 steps per epoch, 14 in all without the limit.
        var spec = Jobs.Synthetic(epochs: 2, maxSteps: 10);
        var log = new EventLog();

        var outcome = Trainer.Run(Jobs.Request(spec, _directory.Path), log.Report, CancellationToken.None);

        Assert.False(outcome.Cancelled);
        Assert.Equal(10, outcome.Steps);
        Assert.All(log.OfType<ProgressReported>(), p => Assert.Equal(10, p.TotalSteps));
        Assert.Equal(10, log.OfType<ProgressReported>().Last().Step);
        Assert.Equal([1, 2], log.OfType<EpochEvaluated>().Select(e => e.Epoch));
        Assert.Equal([7L, 10], log.OfType<CheckpointWritten>().Select(c => c.Step));
        var finished = Assert.IsType<TrainingFinished>(log.Events[^1]);
        Assert.Equal(10, finished.Steps);
        Assert.Equal(_directory.Combine("checkpoints", "ckpt-000000010.bin"), finished.CheckpointUri);
        Assert.True(File.Exists(finished.CheckpointUri));
    }

    [Fact]
    public void Run_CancelledDuringTraining_StopsAtTheNextStepBoundary()
    {
        using var cancellation = new CancellationTokenSource();
        var spec = Jobs.Synthetic(epochs: 3, everySteps: 3);
        var log = new EventLog(e =>
        {
            if (e is CheckpointWritten { Step: 9 })
            {
                cancellation.Cancel();
            }
        });

        var outcome = Trainer.Run(Jobs.Request(spec, _directory.Path), log.Report, cancellation.Token);

        Assert.True(outcome.Cancelled);
        Assert.Equal(9, outcome.Steps);
        Assert.Null(outcome.TestAccuracy);
        Assert.Equal(_directory.Combine("checkpoints", "ckpt-000000009.bin"), outcome.CheckpointPath);
        Assert.Empty(log.OfType<TrainingFinished>());
        Assert.All(log.OfType<ProgressReported>(), p => Assert.True(p.Step <= 9));
        Assert.IsType<CheckpointWritten>(log.Events.Last(e => e is not (ProgressReported or TensorBoardWritten)));
    }

    [Fact]
    public void Run_CancelledBeforeTheFirstStep_TrainsNothing()
    {
        var log = new EventLog();

        var outcome = Trainer.Run(Jobs.Request(Jobs.Synthetic(), _directory.Path), log.Report, new CancellationToken(canceled: true));

        Assert.True(outcome.Cancelled);
        Assert.Equal(0, outcome.Steps);
        Assert.Null(outcome.CheckpointPath);
        Assert.DoesNotContain(log.Events, e => e is not TensorBoardWritten);
    }

    [Fact]
    public void Run_ClockStandsStill_ReportsTheFirstStepAndEachEpochsLast()
    {
        var log = new EventLog();

        Trainer.Run(Jobs.Request(Jobs.Synthetic(epochs: 2), _directory.Path), log.Report, new FakeTimeProvider(), CancellationToken.None);

        var progress = log.OfType<ProgressReported>().ToList();
        Assert.Equal([1L, 7, 14], progress.Select(p => p.Step));
        Assert.All(progress, p => Assert.Equal(14, p.TotalSteps));
        Assert.Equal([1, 1, 2], progress.Select(p => p.Epoch));
    }

    [Fact]
    public void Run_InvalidSpec_IsAUserErrorNamingTheField()
    {
        var spec = Jobs.Synthetic() with { Model = new ModelSpec { Name = (ModelKind)9000 } };

        var error = Assert.Throws<TrainingUserException>(() => Trainer.Run(Jobs.Request(spec, _directory.Path), _ => { }, CancellationToken.None));

        Assert.Contains("spec.model.name", error.Message);
    }

    [Fact]
    public void Run_MissingDataDirectory_IsAUserError()
    {
        var spec = Jobs.Synthetic() with { Data = new DataSpec { IdxDirectory = _directory.Combine("missing") } };

        var error = Assert.Throws<TrainingUserException>(() => Trainer.Run(Jobs.Request(spec, _directory.Path), _ => { }, CancellationToken.None));

        Assert.Contains(_directory.Combine("missing"), error.Message);
    }

    [Fact]
    public void Run_IdxDirectory_TrainsOnIt()
    {
        var data = _directory.Combine("data");
        Directory.CreateDirectory(data);
        IdxFiles.WriteDataset(data, train: 100, test: 20, rows: 12);
        var spec = Jobs.Synthetic(model: "cnn") with { Data = new DataSpec { IdxDirectory = data } };
        var log = new EventLog();

        var outcome = Trainer.Run(Jobs.Request(spec, _directory.Combine("work")), log.Report, CancellationToken.None);

        Assert.Equal(4, outcome.Steps);
        Assert.NotNull(outcome.TestAccuracy);
    }

    [Fact]
    public void Run_WritesTensorBoardEvents()
    {
        var outcome = Trainer.Run(Jobs.Request(Jobs.Synthetic(), _directory.Path), _ => { }, CancellationToken.None);

        Assert.Equal(_directory.Combine("tensorboard"), outcome.TensorBoardDirectory);
        var file = Assert.Single(Directory.GetFiles(outcome.TensorBoardDirectory, "events.out.tfevents.*"));
        Assert.True(new FileInfo(file).Length > 0);
    }
}
