namespace GridTrain.Domain.Jobs;

/// <summary>
/// Stops training when <see cref="Metric"/> has not improved by more than <see cref="MinDelta"/> for
/// <see cref="Patience"/> epochs in a row. The same metric picks the best model.
/// </summary>
public sealed record EarlyStoppingSpec
{
    /// <summary>Default <see cref="EvaluationMetric.TestLoss"/>.</summary>
    public EvaluationMetric Metric { get; init; } = JobSpecDefaults.Metric;

    /// <summary>Epochs without improvement before stopping; 0 means 3.</summary>
    public int Patience { get; init; }

    /// <summary>Smallest change that counts as an improvement; default 0.</summary>
    public double MinDelta { get; init; }
}
