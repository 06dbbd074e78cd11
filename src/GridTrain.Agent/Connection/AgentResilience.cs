using Polly;
using Polly.Retry;

namespace GridTrain.Agent.Connection;

/// <summary>Retry policies for talking to the controller: exponential backoff with jitter, for as long as the agent runs.</summary>
internal static class AgentResilience
{
    private static readonly TimeSpan s_firstDelay = TimeSpan.FromMilliseconds(100);

    /// <param name="maxDelay">
    /// Longest wait between two attempts, asked before each wait: an agent lowers it once the controller has said how
    /// soon it declares a silent agent lost, so that a restarted controller hears from it in time.
    /// </param>
    /// <param name="time">Clock the waits run on.</param>
    /// <param name="shouldRetry">Which failures are worth another attempt.</param>
    /// <param name="onRetry">Told each failure and the wait before the next attempt (for logs and tests).</param>
    public static ResiliencePipeline Create<TException>(Func<TimeSpan> maxDelay, TimeProvider time, Func<TException, bool> shouldRetry, Action<TException, TimeSpan>? onRetry = null)
        where TException : Exception =>
        new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle(shouldRetry),
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(Backoff(args.AttemptNumber, maxDelay())),
                MaxRetryAttempts = int.MaxValue,
                OnRetry = args =>
                {
                    // A call cancelled because the agent is stopping is not an outage worth reporting.
                    if (args.Outcome.Exception is TException failure && !args.Context.CancellationToken.IsCancellationRequested)
                    {
                        onRetry?.Invoke(failure, args.RetryDelay);
                    }

                    return ValueTask.CompletedTask;
                },
            })
            .Build();

    /// <summary>Exponential from 100 ms, capped, with "equal jitter": half the wait is fixed, half random, so agents spread out but never hot-loop.</summary>
    internal static TimeSpan Backoff(int attempt, TimeSpan cap)
    {
        var exponential = s_firstDelay * Math.Pow(2, Math.Min(attempt, 30));
        var ceiling = exponential < cap ? exponential : cap;
        return ceiling / 2 + ceiling / 2 * Random.Shared.NextDouble();
    }
}
