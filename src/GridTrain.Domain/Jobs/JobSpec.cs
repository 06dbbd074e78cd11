namespace GridTrain.Domain.Jobs;

/// <summary>Everything needed to run one training job. Values left at 0 take their defaults (<see cref="JobSpecDefaults"/>) when validated.</summary>
public sealed record JobSpec
{
    public required ModelSpec Model { get; init; }

    public required DataSpec Data { get; init; }

    public Hyperparameters Hyperparameters { get; init; } = new();

    public CheckpointPolicy Checkpoint { get; init; } = new();

    /// <summary>Intra-op threads for the job's process; 0 means the agent's per-job limit.</summary>
    public int Threads { get; init; }

    /// <summary>Where the job's tensors live; default <see cref="DeviceKind.Auto"/>.</summary>
    public DeviceKind Device { get; init; } = JobSpecDefaults.Device;

    public string DisplayName { get; init; } = "";

    /// <summary>The user's own program; null for a built-in training job. A command job's model is <see cref="ModelKind.Command"/> and its data empty.</summary>
    public CommandSpec? Command { get; init; }

    /// <summary>Whether this is a command job (the user's own program) rather than built-in training.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsCommand => Command is not null;

    /// <summary>A command job's spec: model <c>command</c>, no data, the rest at its defaults.</summary>
    public static JobSpec ForCommand(CommandSpec command) =>
        new() { Model = new ModelSpec { Name = ModelKind.Command }, Data = new DataSpec(), Command = command };
}

/// <summary>The model: built-in <c>mlp</c>, <c>cnn</c> or <c>resnet</c>, or the user's own <c>torchscript</c> module.</summary>
public sealed record ModelSpec
{
    public required ModelKind Name { get; init; }

    /// <summary>Hidden layer widths for <c>mlp</c>; empty means [128].</summary>
    public IReadOnlyList<int> HiddenSizes { get; init; } = [];

    /// <summary>The module to train when <see cref="Name"/> is <c>torchscript</c>; null otherwise.</summary>
    public TorchScriptSpec? TorchScript { get; init; }
}

/// <summary>Training and test data: a directory of IDX files, a CSV table, or synthetic data (exactly one).</summary>
public sealed record DataSpec
{
    /// <summary>Directory with MNIST-format IDX files (raw or .gz). Exclusive with the other sources.</summary>
    public string? IdxDirectory { get; init; }

    public SyntheticDataSpec? Synthetic { get; init; }

    /// <summary>Id of a Google Drive folder of IDX files, downloaded by the agent into its dataset cache. Exclusive with the others.</summary>
    public string? DriveFolderId { get; init; }

    /// <summary>A CSV table of feature columns and a label column.</summary>
    public CsvDataSpec? Csv { get; init; }

    /// <summary>Random image augmentation of training batches; null for none.</summary>
    public AugmentationSpec? Augmentation { get; init; }

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

    /// <summary>0 means <see cref="JobSpecDefaults.SyntheticImageSize"/>.</summary>
    public int ImageSize { get; init; } = JobSpecDefaults.SyntheticImageSize;

    /// <summary>0 means <see cref="JobSpecDefaults.SyntheticClasses"/>.</summary>
    public int Classes { get; init; } = JobSpecDefaults.SyntheticClasses;
}

/// <summary>Optimizer and loop settings.</summary>
public sealed record Hyperparameters
{
    /// <summary>Default <see cref="OptimizerKind.Adam"/>.</summary>
    public OptimizerKind Optimizer { get; init; } = JobSpecDefaults.Optimizer;

    /// <summary>0 means 0.001 for adam and adamw, 0.01 for sgd.</summary>
    public double LearningRate { get; init; }

    /// <summary>0 means <see cref="JobSpecDefaults.BatchSize"/>.</summary>
    public int BatchSize { get; init; } = JobSpecDefaults.BatchSize;

    /// <summary>0 means <see cref="JobSpecDefaults.Epochs"/>.</summary>
    public int Epochs { get; init; } = JobSpecDefaults.Epochs;

    /// <summary>Stop after this many steps; 0 means no limit.</summary>
    public long MaxSteps { get; init; }

    /// <summary>Default <see cref="JobSpecDefaults.Seed"/>.</summary>
    public long Seed { get; init; } = JobSpecDefaults.Seed;

    /// <summary>SGD momentum in [0, 1); default 0.</summary>
    public double Momentum { get; init; }

    /// <summary>Nesterov momentum for <c>sgd</c> (needs momentum &gt; 0).</summary>
    public bool Nesterov { get; init; }

    /// <summary>L2 penalty (<c>sgd</c>, <c>adam</c>) or decoupled weight decay (<c>adamw</c>); default 0 (0.01 for adamw).</summary>
    public double WeightDecay { get; init; }

    /// <summary>How the learning rate changes over the run; null keeps it constant.</summary>
    public LearningRateSchedule? Schedule { get; init; }

    /// <summary>Clip the gradients' global L2 norm to this value before each step; 0 means no clipping.</summary>
    public double GradientClipNorm { get; init; }

    /// <summary>Stop when the evaluation metric stops improving; null trains every epoch.</summary>
    public EarlyStoppingSpec? EarlyStopping { get; init; }
}

/// <summary>When checkpoints are written and how many are kept.</summary>
public sealed record CheckpointPolicy
{
    /// <summary>Every N steps; 0 means only at epoch ends and at the end.</summary>
    public int EverySteps { get; init; }

    /// <summary>Newest checkpoints kept; 0 means <see cref="JobSpecDefaults.KeepLast"/>.</summary>
    public int KeepLast { get; init; } = JobSpecDefaults.KeepLast;
}
