namespace GridTrain.IntegrationTests.Infrastructure;

/// <summary>
/// Polls an external process's API (Prometheus, an HTTP endpoint) until a condition holds, against a deadline. For
/// servers that offer no event to await; the deadline only fails the test, it never lets time pass for a result.
/// </summary>
public static class Poll
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    /// <summary>Calls <paramref name="attempt"/> until it returns a value, or throws <see cref="TimeoutException"/> with <paramref name="describe"/>'s text.</summary>
    public static async Task<T> UntilAsync<T>(Func<CancellationToken, Task<T?>> attempt, TimeSpan deadline, Func<string> describe)
        where T : class
    {
        using var cts = new CancellationTokenSource(deadline);
        using var timer = new PeriodicTimer(Interval);
        try
        {
            do
            {
                if (await attempt(cts.Token) is { } result)
                {
                    return result;
                }
            }
            while (await timer.WaitForNextTickAsync(cts.Token));
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
        }

        throw new TimeoutException($"not within {deadline}: {describe()}");
    }
}
