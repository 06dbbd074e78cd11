namespace GridTrain.Training;

/// <summary>
/// A training run failed because of the job itself (invalid spec, missing or malformed data, a checkpoint that
/// does not fit the job). Retrying cannot help; the message says what to fix.
/// </summary>
public sealed class TrainingUserException : Exception
{
    public TrainingUserException(string message)
        : base(message)
    {
    }

    public TrainingUserException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
