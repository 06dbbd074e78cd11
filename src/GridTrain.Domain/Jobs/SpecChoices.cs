using System.Text.Json.Serialization;

namespace GridTrain.Domain.Jobs;

// The closed choices of a job spec. Each member's spelling (what users write in job files, flags and the API, and what
// is stored) is its JsonStringEnumMemberName; Choice<T> reads it from there.

/// <summary>The model to train: a built-in one, the user's own TorchScript module, or <c>command</c>: the user's own program (<see cref="JobSpec.Command"/>).</summary>
public enum ModelKind
{
    [JsonStringEnumMemberName("mlp")] Mlp,
    [JsonStringEnumMemberName("cnn")] Cnn,
    [JsonStringEnumMemberName("resnet")] ResNet,
    [JsonStringEnumMemberName("torchscript")] TorchScript,
    [JsonStringEnumMemberName("command")] Command,
}

/// <summary>The optimizer.</summary>
public enum OptimizerKind
{
    [JsonStringEnumMemberName("adam")] Adam,
    [JsonStringEnumMemberName("adamw")] AdamW,
    [JsonStringEnumMemberName("sgd")] Sgd,
}

/// <summary>How the learning rate changes after warmup.</summary>
public enum ScheduleKind
{
    [JsonStringEnumMemberName("constant")] Constant,
    [JsonStringEnumMemberName("step")] Step,
    [JsonStringEnumMemberName("cosine")] Cosine,
}

/// <summary>The metric of early stopping and best-model tracking.</summary>
public enum EvaluationMetric
{
    /// <summary>Lower is better.</summary>
    [JsonStringEnumMemberName("test_loss")] TestLoss,

    /// <summary>Higher is better.</summary>
    [JsonStringEnumMemberName("test_accuracy")] TestAccuracy,
}

/// <summary>Where a job's tensors live.</summary>
public enum DeviceKind
{
    /// <summary>CUDA when the job's process can use it, else the CPU.</summary>
    [JsonStringEnumMemberName("auto")] Auto,
    [JsonStringEnumMemberName("cpu")] Cpu,
    [JsonStringEnumMemberName("cuda")] Cuda,
}

/// <summary>How CSV feature columns are scaled, with statistics from the training rows.</summary>
public enum CsvNormalization
{
    /// <summary>Zero mean, unit variance.</summary>
    [JsonStringEnumMemberName("standard")] Standard,

    /// <summary>Into [0, 1].</summary>
    [JsonStringEnumMemberName("minmax")] MinMax,
    [JsonStringEnumMemberName("none")] None,
}
