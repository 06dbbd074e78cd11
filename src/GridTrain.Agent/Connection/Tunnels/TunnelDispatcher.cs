using System.Collections.Concurrent;
using GridTrain.Agent.Hosting;
using GridTrain.Agent.Leases;
using GridTrain.Agent.Threading;
using GridTrain.Agent.UserCode;
using GridTrain.Agent.Workspaces;
using GridTrain.Domain;
using GridTrain.Domain.AgentProtocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GridTrain.Agent.Connection.Tunnels;

/// <summary>
/// Serves the tunnels the controller asks for (<see cref="OpenTunnel"/>): each opens its own call back to the
/// controller and runs as work of the agent's <see cref="TaskGroup"/>: an exec (<see cref="ExecSession"/>), a copy into
/// or out of the workspace (<see cref="FileTransfers"/>) or a listing. A tunnel for a lease the agent does not hold is
/// refused. Releasing a session ends its tunnels (their processes stopped) before its workspace goes.
/// </summary>
internal sealed partial class TunnelDispatcher(
    IControllerLink link,
    LeaseTable leases,
    SessionWorkspaces workspaces,
    TaskGroup tasks,
    IOptions<AgentOptions> options,
    TimeProvider time,
    ILogger<TunnelDispatcher> logger)
{
    private readonly AgentOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, OpenedTunnel> _open = new(StringComparer.Ordinal);

    /// <summary>Tunnels being served now.</summary>
    public int Count => _open.Count;

    /// <summary>Starts serving the tunnel; returns at once.</summary>
    public void Open(OpenTunnel open)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(tasks.ShutdownToken);
        var opened = new OpenedTunnel(open.SessionId, stop);
        _open[open.TunnelId] = opened;
        opened.Task = tasks.Start($"tunnel {open.TunnelId} ({open.Request.Kind} in {open.SessionId})", async _ =>
        {
            try
            {
                await ServeAsync(open, stop.Token);
            }
            finally
            {
                _open.TryRemove(open.TunnelId, out var _);
                stop.Dispose();
            }
        });
    }

    /// <summary>Ends every tunnel of the session (their processes stopped as on a cancel) and waits for them.</summary>
    public Task CloseSessionAsync(string sessionId) => CloseAsync(_open.Values.Where(t => t.SessionId == sessionId).ToList());

    /// <summary>Ends every tunnel (the agent is shutting down) and waits for them.</summary>
    public Task CloseAllAsync() => CloseAsync([.. _open.Values]);

    private static async Task CloseAsync(IReadOnlyList<OpenedTunnel> closing)
    {
        foreach (var tunnel in closing)
        {
            try
            {
                await tunnel.Stop.CancelAsync();
            }
            catch (ObjectDisposedException)
            {
                // It ended meanwhile.
            }
        }

        await Task.WhenAll(closing.Select(t => t.Task));
    }

    private async Task ServeAsync(OpenTunnel open, CancellationToken stopping)
    {
        await using var tunnel = await link.OpenTunnelAsync(open.TunnelId, stopping);
        try
        {
            var hold = leases.Sessions.FirstOrDefault(s => s.SessionId == open.SessionId && s.LeaseEpoch == open.LeaseEpoch)
                ?? throw new GridException(GridError.FailedPrecondition, $"agent {_options.Name} does not hold session {open.SessionId} under lease {open.LeaseEpoch} (it moved or ended); try again");
            var workspace = workspaces.Ensure(open.SessionId);
            switch (open.Request)
            {
                case ExecRequest exec:
                    var start = new UserProcessStart
                    {
                        Argv = exec.Argv,
                        WorkingDirectory = workspace,
                        GpuIndexes = hold.GpuIndexes,
                        Threads = _options.ResolveThreads(0),
                        RunAs = _options.RunAs,
                        RedirectStandardInput = exec.Stdin,
                    };
                    await new ExecSession(exec, start, tunnel, _options.StopGracePeriod, _options.CallTimeout, time, logger).RunAsync(stopping);
                    return;
                case UploadRequest upload:
                    await new FileTransfers(workspaces, open.SessionId, tunnel, _options.CallTimeout, time).ReceiveAsync(upload, stopping);
                    return;
                case DownloadRequest download:
                    await new FileTransfers(workspaces, open.SessionId, tunnel, _options.CallTimeout, time).SendAsync(download, stopping);
                    return;
                case ListRequest list:
                    await new FileTransfers(workspaces, open.SessionId, tunnel, _options.CallTimeout, time).ListAsync(list, stopping);
                    return;
                default:
                    throw new GridException(GridError.InvalidArgument, $"this agent cannot serve a {open.Request.Kind} request");
            }
        }
        catch (Exception ex) when (Refusal(ex) is { } refusal && !stopping.IsCancellationRequested)
        {
            LogRefused(logger, open.TunnelId, open.Request.Kind, refusal.Message);
            await FailAsync(tunnel, refusal, stopping);
        }
        catch (TunnelClosedException)
        {
            LogClosed(logger, open.TunnelId);
        }
    }

    private static TunnelFailed? Refusal(Exception ex) => ex switch
    {
        GridException grid => new TunnelFailed(grid.Error, grid.Message),
        WorkspacePathException path => new TunnelFailed(GridError.InvalidArgument, path.Message),
        WorkspaceFullException full => new TunnelFailed(GridError.ResourceExhausted, full.Message),
        ArgumentException argument => new TunnelFailed(GridError.InvalidArgument, argument.Message),
        FileNotFoundException or DirectoryNotFoundException => new TunnelFailed(GridError.NotFound, ex.Message),
        UnauthorizedAccessException or IOException => new TunnelFailed(GridError.FailedPrecondition, ex.Message),
        System.ComponentModel.Win32Exception start => new TunnelFailed(GridError.FailedPrecondition, $"cannot start the command: {start.Message}"),
        _ => null,
    };

    private async Task FailAsync(ITunnel tunnel, TunnelFailed failure, CancellationToken stopping)
    {
        try
        {
            await tunnel.WriteAsync(failure, stopping);
            await tunnel.CompleteAsync();
            await TunnelEnd.DrainAsync(tunnel, _options.CallTimeout, time, stopping);
        }
        catch (TunnelClosedException)
        {
            // The user is gone; nobody to tell.
        }
    }

    private sealed class OpenedTunnel(string sessionId, CancellationTokenSource stop)
    {
        public string SessionId { get; } = sessionId;

        public CancellationTokenSource Stop { get; } = stop;

        public Task Task { get; set; } = Task.CompletedTask;
    }

    [LoggerMessage(55, LogLevel.Information, "Tunnel {TunnelId}: {Kind} refused: {Reason}", EventName = "TunnelRefused")]
    private static partial void LogRefused(ILogger logger, string tunnelId, string kind, string reason);

    [LoggerMessage(56, LogLevel.Information, "Tunnel {TunnelId} closed by the controller", EventName = "TunnelClosed")]
    private static partial void LogClosed(ILogger logger, string tunnelId);
}
