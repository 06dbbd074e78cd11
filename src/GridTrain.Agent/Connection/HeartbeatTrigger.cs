namespace GridTrain.Agent.Connection;

/// <summary>Asks for a heartbeat before the interval is up: something changed that the controller should hear about now.</summary>
internal sealed class HeartbeatTrigger
{
    private readonly SemaphoreSlim _now = new(0, 1);

    public void Pull()
    {
        if (_now.CurrentCount == 0)
        {
            try
            {
                _now.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another pull got there first.
            }
        }
    }

    /// <summary>Completes at the next pull (or one made since the last wait).</summary>
    public Task WaitAsync(CancellationToken cancellationToken) => _now.WaitAsync(cancellationToken);
}
