namespace GridTrain.Agent.Connection.Tunnels;

/// <summary>How a tunnel ends well: after its last frame, the agent listens until the controller closes it.</summary>
internal static class TunnelEnd
{
    /// <summary>Reads (and drops) what is left until the controller ends the tunnel, for at most <paramref name="timeout"/>.</summary>
    public static async Task DrainAsync(ITunnel tunnel, TimeSpan timeout, TimeProvider time, CancellationToken stopping)
    {
        using var deadline = new CancellationTokenSource(timeout, time);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(stopping, deadline.Token);
        try
        {
            await foreach (var _ in tunnel.ReadAllAsync(bounded.Token))
            {
            }
        }
        catch (OperationCanceledException) when (bounded.IsCancellationRequested)
        {
            // The controller did not close it in time; disposing the tunnel does.
        }
    }
}
