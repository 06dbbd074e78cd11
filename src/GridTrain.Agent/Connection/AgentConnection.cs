using GridTrain.Agent.Connection.Tunnels;
using GridTrain.Agent.Gpu;
using GridTrain.Agent.Gpu.Health;
using GridTrain.Agent.Hosting;
using GridTrain.Agent.Inventory;
using GridTrain.Agent.Jobs;
using GridTrain.Agent.Leases;
using GridTrain.Agent.Reporting;
using GridTrain.Agent.Threading;
using GridTrain.Agent.Workspaces;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GridTrain.Agent.Connection;

/// <summary>
/// One connection to the controller at a time: register (listing what the agent still holds and runs), then heartbeat
/// and follow the command stream until either fails. Answers to a heartbeat or registration apply only to the lease
/// epochs its request listed: a lease granted since (its command overtook the answer) is newer and stays.
/// </summary>
internal sealed partial class AgentConnection(
    IControllerLink link,
    LeaseTable leases,
    JobRunner jobs,
    TunnelDispatcher tunnels,
    SessionWorkspaces workspaces,
    ResultReporter results,
    HeartbeatTrigger heartbeat,
    IGpuMonitor gpus,
    MachineUsage usage,
    GpuHealthWatch health,
    TaskGroup tasks,
    IOptions<AgentOptions> options,
    TimeProvider time,
    ILogger<AgentConnection> logger)
{
    private readonly AgentOptions _options = options.Value;

    /// <summary>This run of the agent: a registration it repeats (an answer lost, a reconnect) is no restart to the controller.</summary>
    private readonly string _instance = Guid.NewGuid().ToString("N");
    private volatile string? _agentId;
    private volatile bool _connected;
    private TimeSpan _heartbeatInterval = TimeSpan.FromSeconds(2);

    public string? AgentId => _agentId;

    public bool IsConnected => _connected;

    /// <summary>How soon the controller declares a silent agent lost; null until it has said.</summary>
    public TimeSpan? AgentTimeout { get; private set; }

    /// <summary>Registers, then serves the connection until it fails (or <paramref name="stoppingToken"/> ends it).</summary>
    public async ValueTask RunAsync(CancellationToken stoppingToken)
    {
        await RegisterAsync(stoppingToken);
        _connected = true;
        try
        {
            await ServeAsync(stoppingToken);
        }
        finally
        {
            _connected = false;
        }
    }

    private async Task ServeAsync(CancellationToken stoppingToken)
    {
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var heartbeats = HeartbeatLoopAsync(connection.Token);
        var commands = CommandLoopAsync(connection.Token);
        var first = await Task.WhenAny(heartbeats, commands);
        await connection.CancelAsync();
        try
        {
            await Task.WhenAll(heartbeats, commands);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ControllerUnreachableException && connection.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
        {
            // The other loop stopped because this connection ended; the first one's failure is rethrown below.
        }

        await first;
    }

    private AgentHoldings Holdings() => new(leases.Leases(), jobs.Running()) { GpuHealth = health.Current };

    private async Task RegisterAsync(CancellationToken cancellationToken)
    {
        var holdings = Holdings();
        var request = new AgentRegistrationRequest(
            _options.Name,
            typeof(GridAgent).Assembly.GetName().Version?.ToString() ?? "",
            InventoryProbe.Probe(_options, gpus),
            holdings,
            _instance);
        var registration = await link.RegisterAsync(request, cancellationToken);
        _agentId = registration.AgentId;
        _heartbeatInterval = registration.HeartbeatInterval;
        AgentTimeout = registration.AgentTimeout;
        LogRegistered(logger, _options.Name, registration.AgentId, _options.Controller!);
        await ApplyAsync(holdings, registration.Instructions);
        tasks.Run("report of results an earlier run left unreported", results.ReplayAsync);
    }

    private async Task HeartbeatLoopAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var holdings = Holdings() with { Resources = usage.Read() };
            var answer = await link.HeartbeatAsync(holdings, cancellationToken);
            await ApplyAsync(holdings, answer);

            // Wait for the interval, or less when something changed that the controller should hear about now.
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var tick = Task.Delay(_heartbeatInterval, time, wait.Token);
            var pulled = heartbeat.WaitAsync(wait.Token);
            await Task.WhenAny(tick, pulled);
            await wait.CancelAsync();
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private async Task CommandLoopAsync(CancellationToken cancellationToken)
    {
        await foreach (var command in link.ReceiveCommandsAsync(cancellationToken))
        {
            try
            {
                await HandleAsync(command);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One bad command (a job that cannot start, a disk error) must not take the agent down.
                LogCommandFailed(logger, command.GetType().Name, ex);
            }
        }

        throw new ControllerUnreachableException("Unavailable", "the controller closed the command stream");
    }

    private async Task HandleAsync(AgentDirective command)
    {
        switch (command)
        {
            case AssignSession assign:
                leases.Assign(assign);
                workspaces.Ensure(assign.SessionId);
                LogSessionAssigned(logger, assign.SessionId, assign.LeaseEpoch);
                heartbeat.Pull();
                break;
            case ReleaseSession release:
                // Commands come in order, so this one is about the session's latest lease here: an attempt still waiting to start goes too.
                jobs.CancelPendingOfSession(release.SessionId, release.Reason);
                await ReleaseAsync(release.SessionId, long.MaxValue, release.Reason);
                break;
            case StartJob start:
                jobs.Start(start);
                break;
            case UnreadableJobStart unreadable:
                jobs.Refuse(unreadable);
                break;
            case ReadmitGpu readmit:
                health.Readmit(readmit.GpuIndex, readmit.Reason);
                heartbeat.Pull();
                break;
            case OpenTunnel open:
                tunnels.Open(open);
                break;
            case SyncComplete:
                DeleteOrphanWorkspaces();
                break;
            case CancelJob cancel:
                // Likewise about the latest attempt, even one still waiting for its predecessor to exit. (Heartbeat
                // answers name stale processes only, so they stop running processes and nothing else.)
                jobs.Cancel(cancel.JobId, cancel.Reason);
                break;
            default:
                LogUnknownCommand(logger, command.GetType().Name);
                break;
        }
    }

    /// <summary>Releases the session, and stops its jobs, if held under <paramref name="upToEpoch"/> or an earlier lease.</summary>
    private async Task ReleaseAsync(string sessionId, long upToEpoch, string reason)
    {
        var released = leases.Release(sessionId, upToEpoch);
        await jobs.StopSessionAsync(sessionId, upToEpoch, reason);
        if (released)
        {
            await tunnels.CloseSessionAsync(sessionId);
            DeleteWorkspace(sessionId);
        }

        heartbeat.Pull();
    }

    /// <summary>After the catch-up of a new command stream: the workspaces of sessions this agent no longer holds go.</summary>
    private void DeleteOrphanWorkspaces()
    {
        var held = leases.Sessions.Select(s => s.SessionId).ToHashSet(StringComparer.Ordinal);
        foreach (var sessionId in workspaces.Sessions().Where(id => !held.Contains(id)))
        {
            DeleteWorkspace(sessionId);
        }
    }

    private void DeleteWorkspace(string sessionId)
    {
        try
        {
            workspaces.Delete(sessionId);
            LogWorkspaceDeleted(logger, sessionId);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogWorkspaceNotDeleted(logger, sessionId, ex);
        }
    }

    /// <summary>Applies a registration or heartbeat answer to the leases and attempts its request listed, under the epochs listed.</summary>
    private async Task ApplyAsync(AgentHoldings listed, AgentInstructions answer)
    {
        var jobEpochs = listed.Jobs.ToDictionary(j => j.JobId, j => j.LeaseEpoch, StringComparer.Ordinal);
        foreach (var jobId in answer.StopJobIds)
        {
            if (jobEpochs.TryGetValue(jobId, out var epoch))
            {
                jobs.Stop(jobId, "the controller no longer runs this job here", epoch);
            }
        }

        var sessionEpochs = listed.Sessions.ToDictionary(s => s.SessionId, s => s.LeaseEpoch, StringComparer.Ordinal);
        foreach (var sessionId in answer.ReleaseSessionIds)
        {
            if (sessionEpochs.TryGetValue(sessionId, out var epoch))
            {
                await ReleaseAsync(sessionId, epoch, "the controller released the session");
            }
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Agent {Name} registered as {AgentId} with {Controller}", EventName = "Registered")]
    private static partial void LogRegistered(ILogger logger, string name, string agentId, Uri controller);

    [LoggerMessage(2, LogLevel.Information, "Holding session {SessionId} under lease epoch {Epoch}", EventName = "SessionAssigned")]
    private static partial void LogSessionAssigned(ILogger logger, string sessionId, long epoch);

    [LoggerMessage(3, LogLevel.Information, "Deleted the workspace of session {SessionId}", EventName = "WorkspaceDeleted")]
    private static partial void LogWorkspaceDeleted(ILogger logger, string sessionId);

    [LoggerMessage(4, LogLevel.Warning, "Could not delete the workspace of session {SessionId}", EventName = "WorkspaceNotDeleted")]
    private static partial void LogWorkspaceNotDeleted(ILogger logger, string sessionId, Exception exception);

    [LoggerMessage(8, LogLevel.Warning, "Ignoring unknown command {Command}; is the agent older than the controller?", EventName = "UnknownCommand")]
    private static partial void LogUnknownCommand(ILogger logger, string command);

    [LoggerMessage(9, LogLevel.Error, "Command {Command} failed", EventName = "CommandFailed")]
    private static partial void LogCommandFailed(ILogger logger, string command, Exception exception);
}
