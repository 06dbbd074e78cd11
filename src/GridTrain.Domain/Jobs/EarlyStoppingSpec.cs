namespace GridTrain.Domain.Jobs;

/// <summary>
/// Stops training when <see cref="Metric"/> has not improved by more than <see cref="MinDelta"/> for
/// <see cref="Patience"/> epochs in a row. The same metric picks the best model.
/// </summary>
public sealed record EarlyStoppingSpec
{
    /// <summary><c>test_loss</c> (lower is better) or <c>test_accuracy</c> (higher is better); default <c>test_loss</c>.</summary>
    public string Metric { get; init; } = "test_loss";

    /// <summary>Epochs without improvement before stopping; 0 means 3.</summary>
    public int Patience { get; init; }

    /// <summary>Smallest change that counts as an improvement; default 0.</summary>
    public double MinDelta { get; init; }
}
