using GridTrain.Domain.Jobs;

namespace GridTrain.Training;

/// <summary>
/// Applies an epoch's evaluation to the <see cref="BestModel"/> state: the metric is the early-stopping metric
/// (default <c>test_loss</c>); an improvement must exceed <see cref="EarlyStoppingSpec.MinDelta"/>.
/// </summary>
internal sealed class MetricTracker
{
    private readonly EarlyStoppingSpec? _earlyStopping;

    public MetricTracker(EarlyStoppingSpec? earlyStopping)
    {
        _earlyStopping = earlyStopping;
        Metric = earlyStopping?.Metric ?? JobSpecDefaults.Metric;
    }

    public EvaluationMetric Metric { get; }

    public bool HigherIsBetter => Metric == EvaluationMetric.TestAccuracy;

    public double ValueOf(Evaluation evaluation) => HigherIsBetter ? evaluation.Accuracy : evaluation.Loss;

    /// <summary>The state after epoch <paramref name="epoch"/> (from 1) scored <paramref name="value"/>; <paramref name="improved"/> when it is the new best.</summary>
    public BestModel Update(BestModel best, int epoch, double value, out bool improved)
    {
        var delta = _earlyStopping?.MinDelta ?? 0;
        improved = best.Epoch == 0 || (HigherIsBetter ? value > best.Metric + delta : value < best.Metric - delta);
        return improved ? new BestModel(epoch, value, 0) : best with { StaleEpochs = best.StaleEpochs + 1 };
    }

    /// <summary>True when early stopping is on and the metric has not improved for its patience.</summary>
    public bool ShouldStop(BestModel best) => _earlyStopping is { } stopping && best.Epoch > 0 && best.StaleEpochs >= stopping.Patience;
}
