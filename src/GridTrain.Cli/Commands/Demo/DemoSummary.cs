namespace GridTrain.Cli.Commands.Demo;

/// <summary>
/// The demo's outcome, printed as the last line of <c>gridtrain demo --json</c> (camelCase names). <c>State</c> is
/// the job's final state (<c>SUCCEEDED</c>, <c>FAILED</c> or <c>CANCELLED</c>), <c>Data</c> <c>fashion-mnist</c> or
/// <c>synthetic</c>, <c>TestAccuracy</c> a fraction in [0, 1] or null when no evaluation ran.
/// </summary>
internal sealed record DemoSummary(
    string JobId,
    string State,
    long Steps,
    double? TestAccuracy,
    string Checkpoint,
    string TensorboardDir,
    double SamplesPerSecond,
    string WorkDirectory,
    string Data,
    string Reason,
    double ElapsedSeconds);
