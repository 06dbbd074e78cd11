using Microsoft.Extensions.Logging;

namespace GridTrain.Agent;

public sealed partial class GridAgent
{
    [LoggerMessage(13, LogLevel.Warning, "Lost the controller at {Controller} ({Status}: {Detail}); reconnecting in {Delay}", EventName = "Reconnecting")]
    private static partial void LogReconnecting(ILogger logger, Uri controller, string status, string detail, TimeSpan delay);

    [LoggerMessage(14, LogLevel.Warning, "Shutdown grace of {Grace} ended with {Pending} reports or uploads unfinished; what was not reported is saved for the next start", EventName = "ShutdownGraceEnded")]
    private static partial void LogGraceEnded(ILogger logger, TimeSpan grace, int pending);
}
