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
            Model = new ModelSpec { Name = ModelKind.TorchScript, TorchScript = new TorchScriptSpec { Module = [1, 2, 3] } },
            Data = new DataSpec
            {
                Csv = new CsvDataSpec { TrainPath = "/d/train.csv", TestPath = "/d/test.csv", LabelColumn = "y", FeatureColumns = ["a", "b"], Normalization = CsvNormalization.MinMax, TestFraction = 0.3 },
                Augmentation = new AugmentationSpec { HorizontalFlip = true, CropPadding = 4 },
                TrainLimit = 10,
            },
            Hyperparameters = new Hyperparameters
            {
                Optimizer = OptimizerKind.Sgd,
                LearningRate = 0.1,
                Momentum = 0.9,
                Nesterov = true,
                WeightDecay = 0.001,
                Schedule = new LearningRateSchedule { Name = ScheduleKind.Step, StepEpochs = 3, Gamma = 0.5, WarmupSteps = 7, MinLearningRate = 0.01 },
                GradientClipNorm = 2,
                EarlyStopping = new EarlyStoppingSpec { Metric = EvaluationMetric.TestAccuracy, Patience = 4, MinDelta = 0.02 },
                Seed = 9,
            },
            Device = DeviceKind.Cuda,
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
        Assert.Equal(DeviceKind.Cuda, back.Device);
    }

    [Fact]
    public void TorchScriptOnDrive_RoundTrips()
    {
        var spec = new JobSpec { Model = new ModelSpec { Name = ModelKind.TorchScript, TorchScript = new TorchScriptSpec { DriveFileId = "1AbC_d-9" } }, Data = new DataSpec { Synthetic = new SyntheticDataSpec { TrainExamples = 8 } } };

        var back = spec.ToProto().ToDomain().Model.TorchScript!;

        Assert.Equal("1AbC_d-9", back.DriveFileId);
        Assert.Null(back.Path);
        Assert.Null(back.Module);
    }

    [Fact]
    public void ToDomain_UnknownChoices_EveryOneReportedByField()
    {
        var wire = new Protos.V1.JobSpec
        {
            Model = new Protos.V1.ModelSpec { Name = "gpt" },
            Data = new Protos.V1.DataSpec { Synthetic = new Protos.V1.SyntheticData { TrainExamples = 8 } },
            Hyperparameters = new Protos.V1.Hyperparameters { Optimizer = "lion" },
            Device = "tpu",
        };

        var error = Assert.Throws<Domain.GridException>(() => wire.ToDomain());

        Assert.Equal(Domain.GridError.InvalidArgument, error.Error);
        Assert.Equal(
            "spec.model.name: unknown model 'gpt'; use one of cnn, command, mlp, resnet, torchscript; "
            + "spec.hyperparameters.optimizer: unknown optimizer 'lion'; use one of adam, adamw, sgd; "
            + "spec.device: unknown device 'tpu'; use one of auto, cpu, cuda",
            error.Message);
    }

    [Fact]
    public void ToDomain_EmptyChoices_TakeTheDefaults()
    {
        var wire = new Protos.V1.JobSpec
        {
            Model = new Protos.V1.ModelSpec { Name = "mlp" },
            Data = new Protos.V1.DataSpec { Csv = new Protos.V1.CsvData { TrainPath = "/d/t.csv" } },
            Hyperparameters = new Protos.V1.Hyperparameters { Schedule = new Protos.V1.LearningRateSchedule(), EarlyStopping = new Protos.V1.EarlyStopping() },
        };

        var spec = wire.ToDomain();

        Assert.Equal(OptimizerKind.Adam, spec.Hyperparameters.Optimizer);
        Assert.Equal(ScheduleKind.Constant, spec.Hyperparameters.Schedule!.Name);
        Assert.Equal(EvaluationMetric.TestLoss, spec.Hyperparameters.EarlyStopping!.Metric);
        Assert.Equal(CsvNormalization.Standard, spec.Data.Csv!.Normalization);
        Assert.Equal(DeviceKind.Auto, spec.Device);
    }
}
