namespace GridTrain.Cli.Errors;

/// <summary>What to print on standard error for a failed command, and the exit code.</summary>
internal sealed record CommandError(string Message, int ExitCode);
