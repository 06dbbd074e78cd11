using Polly;
using Polly.Retry;

namespace GridTrain.Checkpoints.Drive;

/// <summary>
/// The retry policy for Drive: exponential backoff with jitter (<see cref="DriveOptions.RetryBaseDelay"/> doubling up
/// to <see cref="DriveOptions.RetryMaxDelay"/>) for 429, 403 rate limits, 5xx and dropped connections; permanent
/// errors (400, 404, 403 quota or permission) are not retried.
/// </summary>
public static class DriveRetry
{
    /// <param name="options">Delays and attempts.</param>
    /// <param name="time">Clock for the delays.</param>
    /// <param name="onRetry">Told of each retry: the failure and the delay before the next try.</param>
    public static ResiliencePipeline Create(DriveOptions options, TimeProvider time, Action<Exception, TimeSpan>? onRetry = null) =>
        new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(DriveErrors.IsTransient),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.RetryMaxDelay,
                MaxRetryAttempts = Math.Max(1, options.MaxRetries),
                OnRetry = args =>
                {
                    if (args.Outcome.Exception is { } ex)
                    {
                        onRetry?.Invoke(ex, args.RetryDelay);
                    }

                    return ValueTask.CompletedTask;
                },
            })
            .Build();
}
