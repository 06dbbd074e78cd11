namespace GridTrain.Training;

/// <summary>
/// Where a run stands: optimizer steps taken, the zero-based epoch in progress, how many examples of that epoch's
/// order have been trained on, the epoch's loss so far (so a resumed epoch reports the same mean train loss), and the
/// best epoch so far with the epochs since (best-model tracking and early stopping).
/// </summary>
internal readonly record struct TrainingCursor(long Step, int Epoch, int Position, double EpochLossSum, int EpochSteps, BestModel Best = default)
{
    public static TrainingCursor Start => default;

    public double EpochLoss => EpochSteps > 0 ? EpochLossSum / EpochSteps : double.NaN;

    public TrainingCursor After(int batchSize, double loss) =>
        this with { Step = Step + 1, Position = Position + batchSize, EpochLossSum = EpochLossSum + loss, EpochSteps = EpochSteps + 1 };

    public TrainingCursor NextEpoch() => this with { Epoch = Epoch + 1, Position = 0, EpochLossSum = 0, EpochSteps = 0 };
}
