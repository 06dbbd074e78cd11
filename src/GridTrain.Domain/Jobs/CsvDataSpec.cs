namespace GridTrain.Domain.Jobs;

/// <summary>
/// A CSV table with a header line: numeric feature columns and a label column (integer class indices, or names that
/// become classes in ordinal order).
/// </summary>
public sealed record CsvDataSpec
{
    /// <summary>Absolute path of the training table on the agent's machine. Required.</summary>
    public required string TrainPath { get; init; }

    /// <summary>Absolute path of the test table; null holds out <see cref="TestFraction"/> of the training rows.</summary>
    public string? TestPath { get; init; }

    /// <summary>Header name of the label column; empty means the last column.</summary>
    public string LabelColumn { get; init; } = "";

    /// <summary>Header names of the feature columns; empty means every column but the label.</summary>
    public IReadOnlyList<string> FeatureColumns { get; init; } = [];

    /// <summary>Default <see cref="CsvNormalization.Standard"/>. Statistics come from the training rows.</summary>
    public CsvNormalization Normalization { get; init; } = JobSpecDefaults.Normalization;

    /// <summary>Share of rows held out for testing when there is no <see cref="TestPath"/>, in [0, 0.9]; 0 means 0.2.</summary>
    public double TestFraction { get; init; }
}
