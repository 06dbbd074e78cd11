using GridTrain.Contracts.Mapping;
using GridTrain.Domain.Jobs;

namespace GridTrain.IntegrationTests;

/// <summary>Every job spec field survives the trip to the wire and back, so agents train what users asked for.</summary>
public sealed class SpecMappingTests
{
    [Fact]
    public void JobSpec_EveryTrainingRuntimeField_RoundTrips()
    {
        var spec = new JobSpec
        {
            Model = new ModelSpec { Name = "torchscript", TorchScript = new TorchScriptSpec { Module = [1, 2, 3] } },
            Data = new DataSpec
            {
                Csv = new CsvDataSpec { TrainPath = "/d/train.csv", TestPath = "/d/test.csv", LabelColumn = "y", FeatureColumns = ["a", "b"], Normalization = "minmax", TestFraction = 0.3 },
                Augmentation = new AugmentationSpec { HorizontalFlip = true, CropPadding = 4 },
                TrainLimit = 10,
            },
            Hyperparameters = new Hyperparameters
            {
                Optimizer = "sgd",
                LearningRate = 0.1,
                Momentum = 0.9,
                Nesterov = true,
                WeightDecay = 0.001,
                Schedule = new LearningRateSchedule { Name = "step", StepEpochs = 3, Gamma = 0.5, WarmupSteps = 7, MinLearningRate = 0.01 },
                GradientClipNorm = 2,
                EarlyStopping = new EarlyStoppingSpec { Metric = "test_accuracy", Patience = 4, MinDelta = 0.02 },
                Seed = 9,
            },
            Device = "cuda",
        };

        var back = spec.ToProto().ToDomain();

        Assert.Equal([1, 2, 3], back.Model.TorchScript!.Module);
        Assert.Null(back.Model.TorchScript.Path);
        Assert.Equal(spec.Data.Csv, back.Data.Csv! with { FeatureColumns = spec.Data.Csv!.FeatureColumns });
        Assert.Equal(["a", "b"], back.Data.Csv!.FeatureColumns);
        Assert.Equal(spec.Data.Augmentation, back.Data.Augmentation);
        Assert.Equal(spec.Hyperparameters.Schedule, back.Hyperparameters.Schedule);
        Assert.Equal(spec.Hyperparameters.EarlyStopping, back.Hyperparameters.EarlyStopping);
        Assert.Equal(spec.Hyperparameters with { Schedule = null, EarlyStopping = null }, back.Hyperparameters with { Schedule = null, EarlyStopping = null });
        Assert.Equal("cuda", back.Device);
    }

    [Fact]
    public void TorchScriptOnDrive_RoundTrips()
    {
        var spec = new JobSpec { Model = new ModelSpec { Name = "torchscript", TorchScript = new TorchScriptSpec { DriveFileId = "1AbC_d-9" } }, Data = new DataSpec { Synthetic = new SyntheticDataSpec { TrainExamples = 8 } } };

        var back = spec.ToProto().ToDomain().Model.TorchScript!;

        Assert.Equal("1AbC_d-9", back.DriveFileId);
        Assert.Null(back.Path);
        Assert.Null(back.Module);
    }
}
