namespace GridTrain.Agent.Connection;

/// <summary>
/// The controller cannot be reached now, or no longer knows this agent (it restarted, or declared the agent lost):
/// registering again, after a backoff, is the cure.
/// </summary>
public sealed class ControllerUnreachableException : Exception
{
    public ControllerUnreachableException(string status, string detail, Exception? innerException = null)
        : base($"{status}: {detail}", innerException)
    {
        Status = status;
        Detail = detail;
    }

    /// <summary>The failure's kind, e.g. <c>Unavailable</c>.</summary>
    public string Status { get; }

    /// <summary>What the controller or the transport said.</summary>
    public string Detail { get; }
}
