using GridTrain.Domain.Jobs;
using GridTrain.Training.Tests.Infrastructure;

namespace GridTrain.Training.Tests.Training;

public sealed class ConvergenceTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData("mlp", "adam")]
    [InlineData("mlp", "sgd")]
    [InlineData("cnn", "adam")]
    [InlineData("cnn", "sgd")]
    public void Synthetic_OneEpoch_AccuracyWellAboveChance(string model, string optimizer)
    {
        // 2000 examples in batches of 32: 63 steps. Adam at its default learning rate, SGD with momentum.
        var spec = optimizer == "sgd"
            ? Jobs.Synthetic(model, trainExamples: 2000, batchSize: 32, optimizer: "sgd", learningRate: 0.1, momentum: 0.9)
            : Jobs.Synthetic(model, trainExamples: 2000, batchSize: 32, optimizer: "adam");
        var log = new EventLog();

        var outcome = Trainer.Run(Jobs.Request(spec, _directory.Path), log.Report, CancellationToken.None);

        var epoch = Assert.Single(log.OfType<EpochEvaluated>());
        Assert.True(epoch.TestAccuracy > 0.8, $"test accuracy {epoch.TestAccuracy} after one epoch (chance: 0.1)");
        Assert.Equal(epoch.TestAccuracy, outcome.TestAccuracy);
        var finished = Assert.IsType<TrainingFinished>(log.Events[^1]);
        Assert.Equal(63, finished.Steps);
        Assert.True(finished.SamplesPerSecond > 0);
    }
}
