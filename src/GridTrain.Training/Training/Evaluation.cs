namespace GridTrain.Training;

/// <summary>Mean test loss and the fraction of test examples classified correctly, in [0, 1].</summary>
internal sealed record Evaluation(double Loss, double Accuracy);
