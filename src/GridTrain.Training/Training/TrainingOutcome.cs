namespace GridTrain.Training;

/// <summary>How a training run ended.</summary>
/// <param name="Cancelled">True when cancellation stopped the loop before the last step (a checkpoint of the last step taken was written).</param>
/// <param name="Steps">Optimizer steps taken in total, including those before a resume.</param>
/// <param name="TestAccuracy">Test accuracy of the final weights in [0, 1]; null when cancelled or the test split is empty.</param>
/// <param name="CheckpointPath">Full path of the newest checkpoint; null when none was written or resumed from.</param>
/// <param name="TensorBoardDirectory">Directory of the run's TensorBoard event files.</param>
/// <param name="SamplesPerSecond">Training throughput in this process: examples per second of training-step time.</param>
public sealed record TrainingOutcome(
    bool Cancelled,
    long Steps,
    double? TestAccuracy,
    string? CheckpointPath,
    string TensorBoardDirectory,
    double SamplesPerSecond)
{
    /// <summary>True when early stopping ended the run.</summary>
    public bool StoppedEarly { get; init; }

    /// <summary>Epoch (from 1) whose weights are the best by the run's metric; 0 when no evaluation ran.</summary>
    public int BestEpoch { get; init; }

    /// <summary>Where the best weights are (<c>.pt</c> TorchScript or <c>.bin</c> TorchSharp); empty when none.</summary>
    public string BestModelPath { get; init; } = "";
}
