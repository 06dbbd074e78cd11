using System.Net;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using Microsoft.Extensions.Logging;

namespace GridTrain.Embedded;

/// <summary>Settings of an <see cref="EmbeddedGrid"/>.</summary>
public sealed class EmbeddedGridOptions
{
    /// <summary>Directory for the controller's database (<c>controller/</c>) and the agent's jobs, checkpoints and TensorBoard files (<c>agent/</c>). Required.</summary>
    public required string WorkDirectory { get; init; }

    /// <summary>Name of the embedded agent. Default <c>local</c>.</summary>
    public string AgentName { get; init; } = "local";

    /// <summary>CPU sessions the agent accepts at once. Default 1.</summary>
    public int CpuSlots { get; init; } = 1;

    /// <summary>Threads per job process; 0 means all cores divided by the CPU slots. Default 0.</summary>
    public int ThreadsPerJob { get; init; }

    /// <summary>The job process entry point; default next to this assembly.</summary>
    public string? WorkerPath { get; init; }

    /// <summary>Controller timing and retry rules.</summary>
    public GridOptions Grid { get; init; } = new();

    /// <summary>Where the controller serves the web console and the HTTP/JSON API; null for none. Default: a free loopback port.</summary>
    public IPEndPoint? WebListen { get; init; } = new(IPAddress.Loopback, 0);

    /// <summary>Least severe log level written to the console. Default <see cref="LogLevel.Warning"/>.</summary>
    public LogLevel MinimumLogLevel { get; init; } = LogLevel.Warning;
}
