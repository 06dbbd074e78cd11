namespace GridTrain.Training;

/// <summary>
/// Which epoch's weights are best by the run's metric, and how many epochs have passed since (for early stopping).
/// Part of every checkpoint, so a resumed run keeps tracking where it stopped. <see cref="Epoch"/> 0 means none yet.
/// </summary>
internal readonly record struct BestModel(int Epoch, double Metric, int StaleEpochs)
{
    public static BestModel None => default;
}
