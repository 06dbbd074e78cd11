using GridTrain.Domain.Jobs;
using GridTrain.Training.Tests.Infrastructure;

namespace GridTrain.Training.Tests.Worker;

public sealed class WorkerProcessTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Worker_SyntheticJob_ReportsEventsAndExitsZero()
    {
        var request = Jobs.Request(Jobs.Synthetic(model: "cnn", epochs: 2, everySteps: 5), _directory.Combine("work"));
        using var worker = WorkerProcess.Start(request, _directory.Combine("request.json"));

        var exitCode = await worker.WaitForExitAsync();

        Assert.True(exitCode == 0, await worker.StandardErrorAsync());
        var events = worker.Events;
        var finished = Assert.IsType<TrainingFinished>(events[^1]);
        Assert.Equal(14, finished.Steps);
        Assert.True(File.Exists(finished.CheckpointUri), finished.CheckpointUri);
        Assert.Equal(finished.CheckpointUri, events.OfType<CheckpointWritten>().Last().Uri);
        Assert.Equal([1, 2], events.OfType<EpochEvaluated>().Select(e => e.Epoch));
        Assert.Equal(14, events.OfType<ProgressReported>().Last().Step);
    }

    [Fact]
    public async Task Worker_MissingDataDirectory_ExitsWithUserError()
    {
        var missing = _directory.Combine("no-such-data");
        var spec = Jobs.Synthetic() with { Data = new DataSpec { IdxDirectory = missing } };
        using var worker = WorkerProcess.Start(Jobs.Request(spec, _directory.Combine("work")), _directory.Combine("request.json"));

        var exitCode = await worker.WaitForExitAsync();

        Assert.Equal(WorkerProtocol.UserErrorExitCode, exitCode);
        var failed = Assert.IsType<TrainingFailed>(Assert.Single(worker.Events));
        Assert.True(failed.UserError);
        Assert.Contains(missing, failed.Reason);
    }

    [Fact]
    public async Task Worker_NaNLoss_FailsAsAUserErrorWithThatCause()
    {
        var csv = _directory.Combine("table.csv");
        Jobs.WriteCsv(csv, rows: 60, nanAtRow: "10");
        var spec = Jobs.Synthetic(batchSize: 60) with { Data = new DataSpec { Csv = new CsvDataSpec { TrainPath = csv, TestPath = csv, Normalization = CsvNormalization.None } } };
        using var worker = WorkerProcess.Start(Jobs.Request(spec, _directory.Combine("work")), _directory.Combine("request.json"));

        var exitCode = await worker.WaitForExitAsync();

        Assert.Equal(WorkerProtocol.UserErrorExitCode, exitCode);
        var failed = Assert.IsType<TrainingFailed>(worker.Events[^1]);
        Assert.True(failed.UserError);
        Assert.StartsWith("training diverged: the loss is NaN at step 1 (epoch 1", failed.Reason);
        Assert.DoesNotContain(worker.Events, e => e is ProgressReported);
    }

    [Fact]
    public async Task Worker_TorchScriptUploadedWithTheRequest_TrainsAndSavesItBack()
    {
        var module = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "small-cnn.pt"));
        var spec = Models.TorchScriptTests.Spec(new TorchScriptSpec { Module = module }, epochs: 1);
        using var worker = WorkerProcess.Start(Jobs.Request(spec, _directory.Combine("work")), _directory.Combine("request.json"));

        var exitCode = await worker.WaitForExitAsync();

        Assert.True(exitCode == 0, await worker.StandardErrorAsync());
        var finished = Assert.IsType<TrainingFinished>(worker.Events[^1]);
        Assert.True(finished.TestAccuracy > 0.3, $"test accuracy {finished.TestAccuracy}");
        Assert.True(File.Exists(_directory.Combine("work", "checkpoints", "final-model.pt")));
        Assert.EndsWith("best-model.pt", finished.BestModelPath, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Worker_UnreadableRequest_ExitsWithFailure()
    {
        var path = _directory.Combine("request.json");
        File.WriteAllText(path, "{ not json");
        using var worker = WorkerProcess.Start("--request", path);

        var exitCode = await worker.WaitForExitAsync();

        Assert.Equal(1, exitCode);
        var failed = Assert.IsType<TrainingFailed>(Assert.Single(worker.Events));
        Assert.False(failed.UserError);
        Assert.StartsWith("System.Text.Json.JsonException", failed.Reason);
    }

    [Fact]
    public async Task Worker_Sigterm_CheckpointsTheLastStepAndExits()
    {
        var spec = Jobs.Synthetic(model: "cnn", trainExamples: 20_000, imageSize: 28, batchSize: 64, epochs: 100);
        using var worker = WorkerProcess.Start(Jobs.Request(spec, _directory.Combine("work")), _directory.Combine("request.json"));

        var progress = await worker.WaitForEventAsync<ProgressReported>().WaitAsync(WorkerProcess.Timeout);
        await worker.TerminateAsync();
        var exitCode = await worker.WaitForExitAsync();

        Assert.True(exitCode == 143, await worker.StandardErrorAsync());
        var events = worker.Events;
        Assert.Empty(events.OfType<TrainingFinished>());
        var checkpoint = Assert.IsType<CheckpointWritten>(events.Last(e => e is not TensorBoardWritten));
        Assert.True(checkpoint.Step >= progress.Step);
        Assert.Equal(checkpoint.Step, events.OfType<ProgressReported>().Last().Step);
        Assert.True(File.Exists(checkpoint.Uri));
        Assert.True(File.Exists(Path.ChangeExtension(checkpoint.Uri, ".json")));
    }
}
