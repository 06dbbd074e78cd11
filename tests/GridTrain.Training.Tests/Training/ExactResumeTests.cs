using System.Security.Cryptography;
using GridTrain.Domain.Jobs;
using GridTrain.Training.Models;
using GridTrain.Training.Tests.Infrastructure;
using TorchSharp;

namespace GridTrain.Training.Tests.Training;

public sealed class ExactResumeTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData("cnn", "adam", 0.0, false)]
    [InlineData("cnn", "sgd", 0.9, false)]
    [InlineData("mlp", "adam", 0.0, false)]
    [InlineData("resnet", "adamw", 0.0, true)]
    [InlineData("cnn", "sgd", 0.9, true)]
    public void Resume_FromMidEpochCheckpoint_EndsWithBitwiseTheSameWeights(string model, string optimizer, double momentum, bool everything)
    {
        // 200 examples in batches of 32: 7 steps per epoch (the last one of 8), 21 steps in 3 epochs.
        var spec = Jobs.Synthetic(model, epochs: 3, optimizer: optimizer, momentum: momentum, everySteps: 4);
        if (everything)
        {
            // Augmentation, a warmup + cosine schedule, Nesterov or weight decay, clipping and best-model tracking resume exactly too.
            spec = spec with
            {
                Data = spec.Data with { Augmentation = new AugmentationSpec { HorizontalFlip = true, CropPadding = 1 } },
                Hyperparameters = spec.Hyperparameters with
                {
                    Nesterov = optimizer == "sgd",
                    WeightDecay = 0.001,
                    Schedule = new LearningRateSchedule { Name = ScheduleKind.Cosine, WarmupSteps = 3 },
                    GradientClipNorm = 0.5,
                    EarlyStopping = new EarlyStoppingSpec { Metric = EvaluationMetric.TestAccuracy, Patience = 10 },
                },
            };
        }

        var straightLog = new EventLog();
        var straight = Trainer.Run(Jobs.Request(spec, _directory.Combine("straight")), straightLog.Report, CancellationToken.None);

        // Stop at step 12, in the middle of the second epoch, then resume in a new run from that checkpoint.
        using var cancellation = new CancellationTokenSource();
        var interrupted = Trainer.Run(
            Jobs.Request(spec, _directory.Combine("resumed")),
            e =>
            {
                if (e is CheckpointWritten { Step: 12 })
                {
                    cancellation.Cancel();
                }
            },
            cancellation.Token);
        Assert.True(interrupted.Cancelled);
        Assert.Equal(12, interrupted.Steps);

        var resumedLog = new EventLog();
        var resumed = Trainer.Run(
            Jobs.Request(spec, _directory.Combine("resumed"), resumeFrom: interrupted.CheckpointPath) with { Attempt = 2 },
            resumedLog.Report,
            CancellationToken.None);

        Assert.Equal(21, straight.Steps);
        Assert.Equal(21, resumed.Steps);
        Assert.All(resumedLog.OfType<ProgressReported>(), p => Assert.True(p.Step > 12));
        Assert.Equal([14L, 16, 20, 21], resumedLog.OfType<CheckpointWritten>().Select(c => c.Step));
        Assert.Equal(straightLog.OfType<EpochEvaluated>().Skip(1), resumedLog.OfType<EpochEvaluated>());

        var shape = new ImageShape(1, 8, 8);
        using var straightModel = ModelFactory.Create(spec.Model, shape, 10);
        using var resumedModel = ModelFactory.Create(spec.Model, shape, 10);
        var expected = CheckpointContents.Weights(straight.CheckpointPath!, straightModel);
        var actual = CheckpointContents.Weights(resumed.CheckpointPath!, resumedModel);
        Assert.Equal(expected.Keys, actual.Keys);
        Assert.All(expected, p => Assert.True(Tensors.Identical(p.Value, actual[p.Key]), $"{p.Key} differs"));
        Assert.Equal(Sha256(straight.CheckpointPath!), Sha256(resumed.CheckpointPath!));
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream));
    }
}
