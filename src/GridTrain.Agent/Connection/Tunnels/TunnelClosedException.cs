namespace GridTrain.Agent.Connection.Tunnels;

/// <summary>The controller ended a tunnel (its user cancelled or went away) while the agent was still writing.</summary>
public sealed class TunnelClosedException(string message, Exception? inner = null) : Exception(message, inner);
