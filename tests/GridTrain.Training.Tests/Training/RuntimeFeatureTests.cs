using GridTrain.Domain.Jobs;
using GridTrain.Training.Models;
using GridTrain.Training.Tests.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace GridTrain.Training.Tests.Training;

/// <summary>Whole runs that exercise one runtime feature each: data sources, schedules, early stopping, divergence, devices.</summary>
public sealed class RuntimeFeatureTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void CsvJob_SmallTable_Converges()
    {
        var path = _directory.Combine("iris-like.csv");
        Jobs.WriteCsv(path, rows: 300);
        var spec = Jobs.Synthetic(model: "mlp", batchSize: 16, epochs: 4) with
        {
            Model = new ModelSpec { Name = ModelKind.Mlp, HiddenSizes = [16, 16] },
            Data = new DataSpec { Csv = new CsvDataSpec { TrainPath = path, LabelColumn = "species" } },
        };
        var log = new EventLog();

        var outcome = Trainer.Run(Jobs.Request(spec, _directory.Combine("work")), log.Report, CancellationToken.None);

        Assert.True(outcome.TestAccuracy > 0.9, $"test accuracy {outcome.TestAccuracy} (chance: 0.33)");
        var epochs = log.OfType<EpochEvaluated>().ToList();
        Assert.Equal(4, epochs.Count);
        Assert.True(epochs[^1].TrainLoss < epochs[0].TrainLoss);
    }

    [Fact]
    public void IdxJob_SmallLearnableImages_Converges()
    {
        var data = _directory.Combine("idx");
        Directory.CreateDirectory(data);
        IdxFiles.WriteLearnableDataset(data, train: 600, test: 100, rows: 12);
        var spec = Jobs.Synthetic(model: "cnn", batchSize: 32, epochs: 2) with { Data = new DataSpec { IdxDirectory = data } };

        var outcome = Trainer.Run(Jobs.Request(spec, _directory.Combine("work")), _ => { }, CancellationToken.None);

        Assert.True(outcome.TestAccuracy > 0.9, $"test accuracy {outcome.TestAccuracy} (chance: 0.1)");
    }

    [Fact]
    public void ResNetWithAdamWCosineAndClipping_Trains()
    {
        var spec = Jobs.Synthetic(model: "resnet", trainExamples: 600, imageSize: 12, batchSize: 32, epochs: 2, optimizer: "adamw", learningRate: 0.01);
        spec = spec with { Hyperparameters = spec.Hyperparameters with { Schedule = new LearningRateSchedule { Name = ScheduleKind.Cosine, WarmupSteps = 5 }, GradientClipNorm = 1 } };

        var outcome = Trainer.Run(Jobs.Request(spec, _directory.Path), _ => { }, CancellationToken.None);

        Assert.Equal(38, outcome.Steps);
        Assert.True(outcome.TestAccuracy > 0.3, $"test accuracy {outcome.TestAccuracy} (chance: 0.1)");
    }

    [Fact]
    public void Augmentation_ChangesTrainingAndIsReproducible()
    {
        var plain = Jobs.Synthetic(model: "cnn", trainExamples: 96, imageSize: 8, batchSize: 32);
        var augmented = plain with
        {
            Data = plain.Data with { Augmentation = new AugmentationSpec { HorizontalFlip = true, CropPadding = 1 } },
        };

        var a = Trainer.Run(Jobs.Request(augmented, _directory.Combine("a")), _ => { }, CancellationToken.None);
        var b = Trainer.Run(Jobs.Request(augmented, _directory.Combine("b")), _ => { }, CancellationToken.None);
        var c = Trainer.Run(Jobs.Request(plain, _directory.Combine("c")), _ => { }, CancellationToken.None);

        using var model = ModelFactory.Create(plain.Model, new ImageShape(1, 8, 8), 10);
        var weightsA = CheckpointContents.Weights(a.CheckpointPath!, model)["fc2.weight"].clone();
        var weightsB = CheckpointContents.Weights(b.CheckpointPath!, model)["fc2.weight"].clone();
        var weightsC = CheckpointContents.Weights(c.CheckpointPath!, model)["fc2.weight"].clone();
        Assert.True(weightsA.equal(weightsB).all().item<bool>());
        Assert.False(weightsA.equal(weightsC).all().item<bool>());
    }

    [Fact]
    public void StepSchedule_DecaysTheLearningRateAtEpochBoundaries()
    {
        // gamma 1e-9 after epoch 1: SGD moves the weights in epoch 1 and (almost) not at all in epochs 2 and 3.
        var spec = Jobs.Synthetic(model: "mlp", trainExamples: 128, batchSize: 32, epochs: 3, optimizer: "sgd", learningRate: 0.5);
        spec = spec with { Hyperparameters = spec.Hyperparameters with { Schedule = new LearningRateSchedule { Name = ScheduleKind.Step, StepEpochs = 1, Gamma = 1e-9 } } };
        var log = new EventLog();

        Trainer.Run(Jobs.Request(spec, _directory.Path), log.Report, CancellationToken.None);

        var checkpoints = log.OfType<CheckpointWritten>().Select(c => c.Uri).ToList();
        Assert.Equal(3, checkpoints.Count);
        using var model = ModelFactory.Create(spec.Model, new ImageShape(1, 8, 8), 10);
        var epoch1 = CheckpointContents.Weights(checkpoints[0], model)["fc1.weight"].clone();
        var epoch2 = CheckpointContents.Weights(checkpoints[1], model)["fc1.weight"].clone();
        var epoch3 = CheckpointContents.Weights(checkpoints[2], model)["fc1.weight"].clone();
        Assert.True(epoch2.sub(epoch3).abs().max().item<float>() < 1e-6f);
        Assert.True(epoch1.sub(epoch2).abs().max().item<float>() < 1e-6f);
        torch.manual_seed(7);
        using var initial = ModelFactory.Create(spec.Model, new ImageShape(1, 8, 8), 10);
        Assert.True(initial.state_dict()["fc1.weight"].sub(epoch1).abs().max().item<float>() > 1e-3f, "epoch 1 trained at the full rate");
    }

    [Fact]
    public void EarlyStopping_NoImprovementForPatienceEpochs_StopsKeepsTheBestModelAndStaysStoppedOnResume()
    {
        // min_delta 1000: only the first epoch counts as an improvement, so patience 2 ends the run after epoch 3 of 10.
        var spec = Jobs.Synthetic(model: "mlp", trainExamples: 64, batchSize: 32, epochs: 10);
        spec = spec with { Hyperparameters = spec.Hyperparameters with { EarlyStopping = new EarlyStoppingSpec { Metric = EvaluationMetric.TestLoss, Patience = 2, MinDelta = 1000 } } };
        var log = new EventLog();

        var outcome = Trainer.Run(Jobs.Request(spec, _directory.Path), log.Report, CancellationToken.None);

        Assert.Equal(6, outcome.Steps);
        Assert.Equal([1, 2, 3], log.OfType<EpochEvaluated>().Select(e => e.Epoch));
        var finished = Assert.IsType<TrainingFinished>(log.Events[^1]);
        Assert.True(finished.StoppedEarly);
        Assert.Equal(1, finished.BestEpoch);
        Assert.Equal(_directory.Combine("checkpoints", "best-model.bin"), finished.BestModelPath);
        Assert.True(File.Exists(finished.BestModelPath));
        Assert.Contains(log.OfType<LogWritten>(), l => l.Text.Contains("early stopping after epoch 3: test_loss has not improved for 2 epochs", StringComparison.Ordinal));

        var resumed = new EventLog();
        var again = Trainer.Run(Jobs.Request(spec, _directory.Combine("again"), resumeFrom: finished.CheckpointUri), resumed.Report, CancellationToken.None);
        Assert.Equal(6, again.Steps);
        Assert.Empty(resumed.OfType<ProgressReported>());
        Assert.True(again.StoppedEarly);
        Assert.True(File.Exists(again.BestModelPath), "the best model is carried over to the resumed run");
    }

    [Fact]
    public void BestModel_TracksTheBestEpochByAccuracy()
    {
        var spec = Jobs.Synthetic(model: "mlp", trainExamples: 400, batchSize: 32, epochs: 3);
        spec = spec with { Hyperparameters = spec.Hyperparameters with { EarlyStopping = new EarlyStoppingSpec { Metric = EvaluationMetric.TestAccuracy, Patience = 5 } } };
        var log = new EventLog();

        var outcome = Trainer.Run(Jobs.Request(spec, _directory.Path), log.Report, CancellationToken.None);

        var epochs = log.OfType<EpochEvaluated>().ToList();
        var best = epochs.First(e => e.TestAccuracy == epochs.Max(x => x.TestAccuracy)).Epoch;
        Assert.Equal(best, outcome.BestEpoch);
        Assert.False(outcome.StoppedEarly);
    }

    [Fact]
    public void DivergingLoss_FailsTheRunAsAUserErrorSayingWhere()
    {
        var spec = Jobs.Synthetic(model: "mlp", epochs: 2, optimizer: "sgd", learningRate: 1e30);

        var error = Assert.Throws<TrainingUserException>(() => Trainer.Run(Jobs.Request(spec, _directory.Path), _ => { }, CancellationToken.None));

        Assert.Matches(@"training diverged: the loss is (NaN|infinite) at step \d+ \(epoch 1, learning rate 1E\+30\)", error.Message);
    }

    [Fact]
    public void CudaOnACpuOnlyMachine_IsAUserErrorNamingTheDevice()
    {
        var spec = Jobs.Synthetic() with { Device = DeviceKind.Cuda };

        var error = Assert.Throws<TrainingUserException>(() => Trainer.Run(Jobs.Request(spec, _directory.Path), _ => { }, CancellationToken.None));

        Assert.StartsWith("spec.device: cuda was asked for, but this agent has no usable CUDA device", error.Message);
    }

    [Fact]
    public void DeviceSelector_Auto_PicksCudaOnlyWhenAvailable()
    {
        Assert.Equal(DeviceType.CPU, DeviceSelector.Resolve(DeviceKind.Auto, () => false).type);
        Assert.Equal(DeviceType.CPU, DeviceSelector.Resolve(DeviceKind.Cpu, () => true).type);
    }

    [Theory]
    [InlineData("sgd", false, typeof(TorchSharp.Modules.SGD))]
    [InlineData("sgd", true, typeof(TorchSharp.Modules.SGD))]
    [InlineData("adam", false, typeof(TorchSharp.Modules.Adam))]
    [InlineData("adamw", false, typeof(TorchSharp.Modules.AdamW))]
    public void OptimizerFactory_BuildsTheNamedOptimizer(string name, bool nesterov, Type expected)
    {
        using var model = torch.nn.Linear(4, 2);
        var h = new Hyperparameters { Optimizer = Jobs.Spelled<OptimizerKind>(name), LearningRate = 0.1, Momentum = 0.9, Nesterov = nesterov, WeightDecay = 0.01 };

        using var optimizer = OptimizerFactory.Create(h, model.parameters());

        Assert.IsType(expected, optimizer);
    }
}
