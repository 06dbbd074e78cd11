namespace GridTrain.Domain.Jobs;

/// <summary>Everything needed to run one training job. Defaults are applied by <see cref="JobSpecValidator"/>.</summary>
public sealed record JobSpec
{
    public required ModelSpec Model { get; init; }

    public required DataSpec Data { get; init; }

    public Hyperparameters Hyperparameters { get; init; } = new();

    public CheckpointPolicy Checkpoint { get; init; } = new();

    /// <summary>Intra-op threads for the job's process; 0 means the agent's per-job limit.</summary>
    public int Threads { get; init; }

    public string DisplayName { get; init; } = "";
}

/// <summary>A built-in model: <c>mlp</c> or <c>cnn</c>.</summary>
public sealed record ModelSpec
{
    public required string Name { get; init; }

    /// <summary>Hidden layer widths for <c>mlp</c>; empty means [128].</summary>
    public IReadOnlyList<int> HiddenSizes { get; init; } = [];
}

/// <summary>Training and test data: a directory of IDX files, or synthetic data.</summary>
public sealed record DataSpec
{
    /// <summary>Directory with MNIST-format IDX files (raw or .gz). Exclusive with <see cref="Synthetic"/> and <see cref="DriveFolderId"/>.</summary>
    public string? IdxDirectory { get; init; }

    public SyntheticDataSpec? Synthetic { get; init; }

    /// <summary>Id of a Google Drive folder of IDX files, downloaded by the agent into its dataset cache. Exclusive with the others.</summary>
    public string? DriveFolderId { get; init; }

    /// <summary>At most this many training examples; 0 means all.</summary>
    public int TrainLimit { get; init; }

    /// <summary>At most this many test examples; 0 means all.</summary>
    public int TestLimit { get; init; }
}

/// <summary>Learnable synthetic classification data of [1, ImageSize, ImageSize] images.</summary>
public sealed record SyntheticDataSpec
{
    public int TrainExamples { get; init; }

    /// <summary>0 means <see cref="TrainExamples"/> / 5.</summary>
    public int TestExamples { get; init; }

    /// <summary>Default 28.</summary>
    public int ImageSize { get; init; } = 28;

    /// <summary>Default 10.</summary>
    public int Classes { get; init; } = 10;
}

/// <summary>Optimizer and loop settings.</summary>
public sealed record Hyperparameters
{
    /// <summary><c>sgd</c> or <c>adam</c>; default <c>adam</c>.</summary>
    public string Optimizer { get; init; } = "adam";

    /// <summary>0 means 0.001 for adam, 0.01 for sgd.</summary>
    public double LearningRate { get; init; }

    /// <summary>Default 64.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Default 1.</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>Stop after this many steps; 0 means no limit.</summary>
    public long MaxSteps { get; init; }

    /// <summary>Default 1.</summary>
    public long Seed { get; init; } = 1;

    public double Momentum { get; init; }
}

/// <summary>When checkpoints are written and how many are kept.</summary>
public sealed record CheckpointPolicy
{
    /// <summary>Every N steps; 0 means only at epoch ends and at the end.</summary>
    public int EverySteps { get; init; }

    /// <summary>Newest checkpoints kept; default 3.</summary>
    public int KeepLast { get; init; } = 3;
}
