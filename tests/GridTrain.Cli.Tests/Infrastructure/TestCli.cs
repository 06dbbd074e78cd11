namespace GridTrain.Cli.Tests.Infrastructure;

/// <summary>
/// Runs the CLI in this process against string writers and a fake environment. The clock is the system's: call
/// deadlines are absolute times the gRPC channel compares with the system clock.
/// </summary>
internal sealed class TestCli
{
    /// <summary>"Now" of the formatting tests, which pass it to the views directly.</summary>
    public static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The fake environment; starts with the run's admin token as <c>GRIDTRAIN_TOKEN</c>.</summary>
    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal) { ["GRIDTRAIN_TOKEN"] = TestCredentials.AdminToken };

    public async Task<CliRun> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var context = new CliContext
        {
            Out = output,
            Error = error,
            GetEnvironmentVariable = name => Environment.GetValueOrDefault(name),
        };
        var exitCode = await GridTrainCli.RunAsync(args, context);
        return new CliRun(exitCode, output.ToString(), error.ToString());
    }
}
