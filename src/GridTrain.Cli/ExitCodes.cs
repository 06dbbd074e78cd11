namespace GridTrain.Cli;

/// <summary>How <c>gridtrain</c> exits.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The controller refused the request or could not be reached, or the job did not succeed.</summary>
    public const int Failure = 1;

    /// <summary>The command line is wrong: unknown command or option, a bad value, a missing argument.</summary>
    public const int Usage = 2;

    /// <summary>Stopped by Ctrl+C (128 + SIGINT).</summary>
    public const int Interrupted = 130;
}
