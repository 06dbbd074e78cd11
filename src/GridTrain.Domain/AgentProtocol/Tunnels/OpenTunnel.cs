namespace GridTrain.Domain.AgentProtocol;

/// <summary>Open a tunnel back to the controller for a user's exec or file transfer in a session the agent holds.</summary>
/// <param name="TunnelId">Names the tunnel when the agent opens it.</param>
/// <param name="SessionId">The session.</param>
/// <param name="LeaseEpoch">The session's lease; the agent refuses a tunnel for a lease it does not hold.</param>
/// <param name="Request">What the user asked for.</param>
public sealed record OpenTunnel(string TunnelId, string SessionId, long LeaseEpoch, TunnelRequest Request) : AgentDirective;

/// <summary>Everything the agent should hold and run has been sent (a new command stream's catch-up is over).</summary>
public sealed record SyncComplete : AgentDirective;

/// <summary>What a tunnel carries.</summary>
public abstract record TunnelRequest
{
    /// <summary>What the request is, for logs: <c>exec</c>, <c>upload</c>, <c>download</c>, <c>list</c>.</summary>
    public abstract string Kind { get; }
}

/// <summary>Run <paramref name="Argv"/> in the session's workspace.</summary>
/// <param name="Argv">The program and its arguments.</param>
/// <param name="Stdin">Whether standard input comes from the client.</param>
/// <param name="Timeout">Ends the command after this long; null: no limit.</param>
public sealed record ExecRequest(IReadOnlyList<string> Argv, bool Stdin, TimeSpan? Timeout) : TunnelRequest
{
    public override string Kind => "exec";
}

/// <summary>Receive a file or directory at <paramref name="Path"/> (inside it, under <paramref name="Name"/>, when it is a directory).</summary>
public sealed record UploadRequest(string Path, string Name, long TotalBytes) : TunnelRequest
{
    public override string Kind => "upload";
}

/// <summary>Send the file or directory at <paramref name="Path"/>.</summary>
public sealed record DownloadRequest(string Path) : TunnelRequest
{
    public override string Kind => "download";
}

/// <summary>List the directory (or describe the file) at <paramref name="Path"/>.</summary>
public sealed record ListRequest(string Path) : TunnelRequest
{
    public override string Kind => "list";
}
