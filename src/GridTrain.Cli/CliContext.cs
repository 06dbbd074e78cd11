namespace GridTrain.Cli;

/// <summary>
/// Where commands write and what they read from their surroundings: the console and the process environment in
/// the real program, string writers and fixed values in tests.
/// </summary>
internal sealed class CliContext
{
    public required TextWriter Out { get; init; }

    public required TextWriter Error { get; init; }

    /// <summary>True when standard output is an interactive terminal, so progress is redrawn on one line.</summary>
    public bool OutIsTerminal { get; init; }

    /// <summary>Columns of the terminal; 80 when unknown.</summary>
    public Func<int> TerminalWidth { get; init; } = () => 80;

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The raw standard streams, for bytes (session exec, cp): input, output, error.</summary>
    public Func<Stream> OpenStandardInput { get; init; } = Console.OpenStandardInput;

    /// <inheritdoc cref="OpenStandardInput"/>
    public Func<Stream> OpenStandardOutput { get; init; } = Console.OpenStandardOutput;

    /// <inheritdoc cref="OpenStandardInput"/>
    public Func<Stream> OpenStandardError { get; init; } = Console.OpenStandardError;

    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>Deadline of each unary call to the controller. Default 30 seconds.</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long Ctrl+C or SIGTERM waits for a command to stop cleanly (cancel its job, stop its processes) before
    /// the process exits anyway; null handles no signals, as in tests. Default 30 seconds for the console.
    /// </summary>
    public TimeSpan? TerminationTimeout { get; init; }

    /// <summary>The deadline for a unary call starting now.</summary>
    public DateTime CallDeadline() => Time.GetUtcNow().UtcDateTime + CallTimeout;

    public static CliContext FromConsole() => new()
    {
        Out = Console.Out,
        Error = Console.Error,
        OutIsTerminal = !Console.IsOutputRedirected,
        TerminalWidth = ConsoleWidth,
        TerminationTimeout = TimeSpan.FromSeconds(30),
    };

    private static int ConsoleWidth()
    {
        try
        {
            return Console.WindowWidth > 0 ? Console.WindowWidth : 80;
        }
        catch (IOException)
        {
            return 80;
        }
    }
}
