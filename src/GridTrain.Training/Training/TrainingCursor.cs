namespace GridTrain.Training;

/// <summary>
/// Where a run stands: optimizer steps taken, the zero-based epoch in progress, how many examples of that epoch's
/// order have been trained on, and the epoch's loss so far (so a resumed epoch reports the same mean train loss).
/// </summary>
internal readonly record struct TrainingCursor(long Step, int Epoch, int Position, double EpochLossSum, int EpochSteps)
{
    public static TrainingCursor Start => default;

    public double EpochLoss => EpochSteps > 0 ? EpochLossSum / EpochSteps : double.NaN;

    public TrainingCursor After(int batchSize, double loss) =>
        new(Step + 1, Epoch, Position + batchSize, EpochLossSum + loss, EpochSteps + 1);

    public TrainingCursor NextEpoch() => new(Step, Epoch + 1, 0, 0, 0);
}
