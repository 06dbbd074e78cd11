using GridTrain.Domain.Jobs;

namespace GridTrain.Domain.Tests;

public sealed class JobSpecValidatorTests
{
    [Fact]
    public void Validate_MinimalSpec_AppliesDefaults()
    {
        var result = JobSpecValidator.Validate(new JobSpec
        {
            Model = new ModelSpec { Name = ModelKind.Cnn },
            Data = new DataSpec { Synthetic = new SyntheticDataSpec { TrainExamples = 100, ImageSize = 0, Classes = 0 } },
            Hyperparameters = new Hyperparameters { BatchSize = 0, Epochs = 0 },
        });

        var spec = Assert.IsType<JobSpec>(result.Value);
        Assert.Equal(OptimizerKind.Adam, spec.Hyperparameters.Optimizer);
        Assert.Equal(0.001, spec.Hyperparameters.LearningRate);
        Assert.Equal(64, spec.Hyperparameters.BatchSize);
        Assert.Equal(1, spec.Hyperparameters.Epochs);
        Assert.Equal(20, spec.Data.Synthetic!.TestExamples);
        Assert.Equal(28, spec.Data.Synthetic.ImageSize);
        Assert.Equal(10, spec.Data.Synthetic.Classes);
    }

    [Fact]
    public void Validate_SgdWithoutLearningRate_Gets001()
    {
        var spec = JobSpecValidator.Validate(Valid() with { Hyperparameters = new Hyperparameters { Optimizer = OptimizerKind.Sgd } }).Value!;

        Assert.Equal(0.01, spec.Hyperparameters.LearningRate);
    }

    [Theory]
    [InlineData("batch", "spec.hyperparameters.batch_size: must be between 1 and 65536, got -1")]
    [InlineData("epochs", "spec.hyperparameters.epochs: must be between 1 and 100000, got -3")]
    [InlineData("data", "spec.data: set exactly one of idx_directory, csv, synthetic and drive_folder_id")]
    [InlineData("two-sources", "spec.data: set exactly one of idx_directory, csv, synthetic and drive_folder_id")]
    [InlineData("drive-folder", "spec.data.drive_folder_id: must be a Drive folder id (letters, digits, '-' and '_'), got 'a b'")]
    [InlineData("relative", "spec.data.idx_directory: must be an absolute path, got 'data/../x'")]
    [InlineData("threads", "spec.threads: must be between 0 and 256, got 1000")]
    [InlineData("lr", "spec.hyperparameters.learning_rate: must be a positive number, got NaN")]
    [InlineData("torchscript", "spec.model.torchscript: set exactly one of path")]
    [InlineData("torchscript-both", "spec.model.torchscript: set exactly one of path")]
    [InlineData("torchscript-relative", "spec.model.torchscript.path: must be an absolute path, got 'm.pt'")]
    [InlineData("torchscript-path-and-drive", "spec.model.torchscript: set exactly one of path")]
    [InlineData("torchscript-bad-drive-id", "spec.model.torchscript.drive_file_id: must be a Drive file id (letters, digits, '-' and '_'), got '../m.pt'")]
    [InlineData("torchscript-large", "spec.model.torchscript.module: at most 3145728 bytes, got 3145729")]
    [InlineData("torchscript-other", "spec.model.torchscript: only for model torchscript, not 'cnn'")]
    [InlineData("csv-path", "spec.data.csv.train_path: must be an absolute path, got 'train.csv'")]
    [InlineData("csv-fraction", "spec.data.csv.test_fraction: must be in [0, 0.9], got 0.95")]
    [InlineData("csv-augmentation", "spec.data.augmentation: only for image data")]
    [InlineData("crop", "spec.data.augmentation.crop_padding: must be between 0 and 64, got 65")]
    [InlineData("nesterov", "spec.hyperparameters.nesterov: needs optimizer sgd with momentum > 0")]
    [InlineData("weight-decay", "spec.hyperparameters.weight_decay: must be a non-negative number, got -1")]
    [InlineData("clip", "spec.hyperparameters.gradient_clip_norm: must be a non-negative number")]
    [InlineData("gamma", "spec.hyperparameters.schedule.gamma: must be in (0, 1], got 2")]
    [InlineData("warmup", "spec.hyperparameters.schedule.warmup_steps: must not be negative, got -1")]
    [InlineData("patience", "spec.hyperparameters.early_stopping.patience: must be between 1 and 100000, got -2")]
    public void Validate_BadField_ErrorNamesTheField(string field, string expected)
    {
        var spec = field switch
        {
            "batch" => Valid() with { Hyperparameters = new Hyperparameters { BatchSize = -1 } },
            "epochs" => Valid() with { Hyperparameters = new Hyperparameters { Epochs = -3 } },
            "data" => Valid() with { Data = new DataSpec() },
            "two-sources" => Valid() with { Data = new DataSpec { IdxDirectory = "/data", DriveFolderId = "1AbC" } },
            "drive-folder" => Valid() with { Data = new DataSpec { DriveFolderId = "a b" } },
            "relative" => Valid() with { Data = new DataSpec { IdxDirectory = "data/../x" } },
            "threads" => Valid() with { Threads = 1000 },
            "lr" => Valid() with { Hyperparameters = new Hyperparameters { LearningRate = double.NaN } },
            "torchscript" => Valid() with { Model = new ModelSpec { Name = ModelKind.TorchScript } },
            "torchscript-both" => Valid() with { Model = new ModelSpec { Name = ModelKind.TorchScript, TorchScript = new TorchScriptSpec { Path = "/m.pt", Module = [1] } } },
            "torchscript-relative" => Valid() with { Model = new ModelSpec { Name = ModelKind.TorchScript, TorchScript = new TorchScriptSpec { Path = "m.pt" } } },
            "torchscript-path-and-drive" => Valid() with { Model = new ModelSpec { Name = ModelKind.TorchScript, TorchScript = new TorchScriptSpec { Path = "/m.pt", DriveFileId = "1AbC_d-9" } } },
            "torchscript-bad-drive-id" => Valid() with { Model = new ModelSpec { Name = ModelKind.TorchScript, TorchScript = new TorchScriptSpec { DriveFileId = "../m.pt" } } },
            "torchscript-large" => Valid() with { Model = new ModelSpec { Name = ModelKind.TorchScript, TorchScript = new TorchScriptSpec { Module = new byte[TorchScriptSpec.MaxModuleBytes + 1] } } },
            "torchscript-other" => Valid() with { Model = new ModelSpec { Name = ModelKind.Cnn, TorchScript = new TorchScriptSpec { Path = "/m.pt" } } },
            "csv-path" => Valid() with { Data = new DataSpec { Csv = new CsvDataSpec { TrainPath = "train.csv" } } },
            "csv-fraction" => Valid() with { Data = new DataSpec { Csv = new CsvDataSpec { TrainPath = "/t.csv", TestFraction = 0.95 } } },
            "csv-augmentation" => Valid() with { Data = new DataSpec { Csv = new CsvDataSpec { TrainPath = "/t.csv" }, Augmentation = new AugmentationSpec { HorizontalFlip = true } } },
            "crop" => Valid() with { Data = Valid().Data with { Augmentation = new AugmentationSpec { CropPadding = 65 } } },
            "nesterov" => Valid() with { Hyperparameters = new Hyperparameters { Optimizer = OptimizerKind.Adam, Nesterov = true } },
            "weight-decay" => Valid() with { Hyperparameters = new Hyperparameters { WeightDecay = -1 } },
            "clip" => Valid() with { Hyperparameters = new Hyperparameters { GradientClipNorm = double.PositiveInfinity } },
            "gamma" => Valid() with { Hyperparameters = new Hyperparameters { Schedule = new LearningRateSchedule { Name = ScheduleKind.Step, Gamma = 2 } } },
            "warmup" => Valid() with { Hyperparameters = new Hyperparameters { Schedule = new LearningRateSchedule { WarmupSteps = -1 } } },
            "patience" => Valid() with { Hyperparameters = new Hyperparameters { EarlyStopping = new EarlyStoppingSpec { Patience = -2 } } },
            _ => throw new ArgumentOutOfRangeException(nameof(field)),
        };

        var result = JobSpecValidator.Validate(spec);

        Assert.False(result.IsValid);
        Assert.Contains(result.Errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_SeveralProblems_ReportsEveryOne()
    {
        var result = JobSpecValidator.Validate(Valid() with
        {
            Model = new ModelSpec { Name = (ModelKind)99, HiddenSizes = [0] },
            Hyperparameters = new Hyperparameters { BatchSize = -1, Momentum = 1.5 },
        });

        Assert.Equal(4, result.Errors.Count);
    }

    [Fact]
    public void Validate_NewSections_GetTheirDefaults()
    {
        var spec = JobSpecValidator.Validate(Valid() with
        {
            Data = new DataSpec { Csv = new CsvDataSpec { TrainPath = "/data/t.csv", TestPath = "" } },
            Hyperparameters = new Hyperparameters
            {
                Optimizer = OptimizerKind.AdamW,
                Schedule = new LearningRateSchedule(),
                EarlyStopping = new EarlyStoppingSpec(),
            },
        }).Value!;

        Assert.Equal(DeviceKind.Auto, spec.Device);
        Assert.Equal(CsvNormalization.Standard, spec.Data.Csv!.Normalization);
        Assert.Equal(0.2, spec.Data.Csv.TestFraction);
        Assert.Null(spec.Data.Csv.TestPath);
        Assert.Equal(0.01, spec.Hyperparameters.WeightDecay);
        Assert.Equal(new LearningRateSchedule { Name = ScheduleKind.Constant, StepEpochs = 1, Gamma = 0.1 }, spec.Hyperparameters.Schedule);
        Assert.Equal(new EarlyStoppingSpec { Metric = EvaluationMetric.TestLoss, Patience = 3 }, spec.Hyperparameters.EarlyStopping);
    }

    internal static JobSpec Valid() => new()
    {
        Model = new ModelSpec { Name = ModelKind.Mlp },
        Data = new DataSpec { Synthetic = new SyntheticDataSpec { TrainExamples = 64 } },
    };
}
