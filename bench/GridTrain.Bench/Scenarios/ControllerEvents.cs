using Microsoft.Extensions.Logging;

namespace GridTrain.Bench.Scenarios;

/// <summary>Counts the agents the controller declares lost (its <c>AgentLost</c> event) and echoes errors.</summary>
internal sealed class ControllerEvents : ILoggerProvider, ILogger
{
    private int _agentsLost;
    private int _errorsShown;

    public int AgentsLost => Volatile.Read(ref _agentsLost);

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (eventId.Name == "AgentLost")
        {
            Interlocked.Increment(ref _agentsLost);
        }
        else if (logLevel >= LogLevel.Error && Interlocked.Increment(ref _errorsShown) <= 20)
        {
            Console.Error.WriteLine($"controller {logLevel}: {formatter(state, exception)} {exception?.GetType().Name}: {exception?.Message}");
        }
    }

    public void Dispose()
    {
    }
}
