namespace GridTrain.Cli.Errors;

/// <summary>A failure a command reports as one line on standard error, without a stack trace.</summary>
internal sealed class CliException(string message, int exitCode = ExitCodes.Failure) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
