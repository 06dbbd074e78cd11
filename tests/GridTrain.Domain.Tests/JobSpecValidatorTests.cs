using GridTrain.Domain.Jobs;

namespace GridTrain.Domain.Tests;

public sealed class JobSpecValidatorTests
{
    [Fact]
    public void Validate_MinimalSpec_AppliesDefaults()
    {
        var result = JobSpecValidator.Validate(new JobSpec
        {
            Model = new ModelSpec { Name = "cnn" },
            Data = new DataSpec { Synthetic = new SyntheticDataSpec { TrainExamples = 100, ImageSize = 0, Classes = 0 } },
            Hyperparameters = new Hyperparameters { Optimizer = "", BatchSize = 0, Epochs = 0 },
        });

        var spec = Assert.IsType<JobSpec>(result.Value);
        Assert.Equal("adam", spec.Hyperparameters.Optimizer);
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
        var spec = JobSpecValidator.Validate(Valid() with { Hyperparameters = new Hyperparameters { Optimizer = "sgd" } }).Value!;

        Assert.Equal(0.01, spec.Hyperparameters.LearningRate);
    }

    [Theory]
    [InlineData("model", "spec.model.name: unknown model 'transformer'")]
    [InlineData("optimizer", "spec.hyperparameters.optimizer: unknown optimizer 'lion'")]
    [InlineData("batch", "spec.hyperparameters.batch_size: must be between 1 and 65536, got -1")]
    [InlineData("epochs", "spec.hyperparameters.epochs: must be between 1 and 100000, got -3")]
    [InlineData("data", "spec.data: set exactly one of idx_directory, synthetic and drive_folder_id")]
    [InlineData("two-sources", "spec.data: set exactly one of idx_directory, synthetic and drive_folder_id")]
    [InlineData("drive-folder", "spec.data.drive_folder_id: must be a Drive folder id (letters, digits, '-' and '_'), got 'a b'")]
    [InlineData("relative", "spec.data.idx_directory: must be an absolute path, got 'data/../x'")]
    [InlineData("threads", "spec.threads: must be between 0 and 256, got 1000")]
    [InlineData("lr", "spec.hyperparameters.learning_rate: must be a positive number, got NaN")]
    public void Validate_BadField_ErrorNamesTheField(string field, string expected)
    {
        var spec = field switch
        {
            "model" => Valid() with { Model = new ModelSpec { Name = "transformer" } },
            "optimizer" => Valid() with { Hyperparameters = new Hyperparameters { Optimizer = "lion" } },
            "batch" => Valid() with { Hyperparameters = new Hyperparameters { BatchSize = -1 } },
            "epochs" => Valid() with { Hyperparameters = new Hyperparameters { Epochs = -3 } },
            "data" => Valid() with { Data = new DataSpec() },
            "two-sources" => Valid() with { Data = new DataSpec { IdxDirectory = "/data", DriveFolderId = "1AbC" } },
            "drive-folder" => Valid() with { Data = new DataSpec { DriveFolderId = "a b" } },
            "relative" => Valid() with { Data = new DataSpec { IdxDirectory = "data/../x" } },
            "threads" => Valid() with { Threads = 1000 },
            "lr" => Valid() with { Hyperparameters = new Hyperparameters { LearningRate = double.NaN } },
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
            Model = new ModelSpec { Name = "x", HiddenSizes = [0] },
            Hyperparameters = new Hyperparameters { BatchSize = -1, Momentum = 1.5 },
        });

        Assert.Equal(4, result.Errors.Count);
    }

    internal static JobSpec Valid() => new()
    {
        Model = new ModelSpec { Name = "mlp" },
        Data = new DataSpec { Synthetic = new SyntheticDataSpec { TrainExamples = 64 } },
    };
}
