using GridTrain.Domain.AgentProtocol;

namespace GridTrain.Agent.Connection.Tunnels;

/// <summary>
/// One tunnel to the controller, carrying a user's exec or file transfer: frames in (the user's input) and out. Writes
/// are awaited one at a time, so a slow reader at the other end slows the writer; disposing ends the tunnel.
/// </summary>
public interface ITunnel : IAsyncDisposable
{
    /// <summary>The frames the controller sends, until it ends the tunnel (normally, or by cancelling it).</summary>
    IAsyncEnumerable<TunnelFrame> ReadAllAsync(CancellationToken cancellationToken);

    /// <summary>Sends a frame; returns when the transport took it. Safe to call from several tasks (they take turns).</summary>
    Task WriteAsync(TunnelFrame frame, CancellationToken cancellationToken);

    /// <summary>Says the agent has sent its last frame.</summary>
    Task CompleteAsync();
}
