using System.Runtime.CompilerServices;
using System.Threading.Channels;
using GridTrain.Agent.Connection;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.Domain.Jobs;

namespace GridTrain.Agent.Tests.Fakes;

/// <summary>
/// A controller in memory, driven by the test: it records what the agent says, pushes the commands the test writes,
/// answers heartbeats as the test decides, and can go unreachable. No sockets.
/// </summary>
internal sealed class ScriptedLink : IControllerLink
{
    private volatile bool _unreachable;

    /// <summary>Commands for the agent, delivered in the order written.</summary>
    public Channel<AgentDirective> Commands { get; } = Channel.CreateUnbounded<AgentDirective>();

    public Channel<AgentRegistrationRequest> Registrations { get; } = Channel.CreateUnbounded<AgentRegistrationRequest>();

    public Channel<AgentHoldings> Heartbeats { get; } = Channel.CreateUnbounded<AgentHoldings>();

    public Channel<(string JobId, long LeaseEpoch, IReadOnlyList<ReportedEvent> Events)> Events { get; } = Channel.CreateUnbounded<(string, long, IReadOnlyList<ReportedEvent>)>();

    public Channel<(string JobId, long LeaseEpoch, JobResult Result)> Results { get; } = Channel.CreateUnbounded<(string, long, JobResult)>();

    /// <summary>Every event report the agent tried to send, delivered or not.</summary>
    public Channel<(string JobId, long LeaseEpoch, IReadOnlyList<ReportedEvent> Events)> EventsTried { get; } = Channel.CreateUnbounded<(string, long, IReadOnlyList<ReportedEvent>)>();

    /// <summary>How a heartbeat is answered; by default with nothing to stop or release.</summary>
    public Func<AgentHoldings, Task<AgentInstructions>> Answer { get; set; } = _ => Task.FromResult(new AgentInstructions([], []));

    /// <summary>How event reports are answered; by default committed.</summary>
    public Func<string, long, ReportOutcome> EventOutcome { get; set; } = (_, _) => ReportOutcome.Committed;

    /// <summary>While set, an event report that arrives waits for it to complete before it is answered: a report in flight.</summary>
    public Task? HoldEvents { get; set; }

    /// <summary>
    /// While set, registrations fail as unreachable and reports wait (as the gRPC link's retries do) until cancelled;
    /// what was received before stays recorded.
    /// </summary>
    public bool Unreachable
    {
        get => _unreachable;
        set => _unreachable = value;
    }

    public Task<ControllerRegistration> RegisterAsync(AgentRegistrationRequest request, CancellationToken cancellationToken)
    {
        if (_unreachable)
        {
            throw new ControllerUnreachableException("Unavailable", "scripted outage");
        }

        Registrations.Writer.TryWrite(request);
        return Task.FromResult(new ControllerRegistration("agent-1", TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30), new AgentInstructions([], [])));
    }

    public async Task<AgentInstructions> HeartbeatAsync(AgentHoldings holdings, CancellationToken cancellationToken)
    {
        Heartbeats.Writer.TryWrite(holdings);
        return await Answer(holdings).WaitAsync(cancellationToken);
    }

    public async IAsyncEnumerable<AgentDirective> ReceiveCommandsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var command in Commands.Reader.ReadAllAsync(cancellationToken))
        {
            yield return command;
        }
    }

    public async Task<ReportOutcome> ReportEventsAsync(string jobId, long leaseEpoch, IReadOnlyList<ReportedEvent> events, CancellationToken cancellationToken)
    {
        EventsTried.Writer.TryWrite((jobId, leaseEpoch, events));
        if (HoldEvents is { } hold)
        {
            await hold.WaitAsync(cancellationToken);
        }

        await WhileUnreachableAsync(cancellationToken);
        Events.Writer.TryWrite((jobId, leaseEpoch, events));
        return EventOutcome(jobId, leaseEpoch);
    }

    /// <summary>Every result report the agent tried to send, before it is held or answered.</summary>
    public Channel<(string JobId, long LeaseEpoch)> ResultsTried { get; } = Channel.CreateUnbounded<(string, long)>();

    /// <summary>While set and not released, the job's result reports wait: a report still in flight.</summary>
    public (string JobId, TaskCompletionSource Release)? HoldResults { get; set; }

    public async Task<ReportOutcome> ReportResultAsync(string jobId, long leaseEpoch, JobResult result, CancellationToken cancellationToken)
    {
        ResultsTried.Writer.TryWrite((jobId, leaseEpoch));
        if (HoldResults is { } hold && hold.JobId == jobId)
        {
            await hold.Release.Task.WaitAsync(cancellationToken);
        }

        await WhileUnreachableAsync(cancellationToken);
        Results.Writer.TryWrite((jobId, leaseEpoch, result));
        return ReportOutcome.Committed;
    }

    /// <summary>Tunnels the agent opened, in order.</summary>
    public Channel<ScriptedTunnel> Tunnels { get; } = Channel.CreateUnbounded<ScriptedTunnel>();

    public Task<Connection.Tunnels.ITunnel> OpenTunnelAsync(string tunnelId, CancellationToken cancellationToken)
    {
        var tunnel = new ScriptedTunnel(tunnelId);
        Tunnels.Writer.TryWrite(tunnel);
        return Task.FromResult<Connection.Tunnels.ITunnel>(tunnel);
    }

    public int EncodedSize(TrainingEvent data) => 100;

    public ValueTask DisposeAsync()
    {
        Commands.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }

    private async Task WhileUnreachableAsync(CancellationToken cancellationToken)
    {
        if (_unreachable)
        {
            // Held until the caller gives up (its shutdown), as a report to an unreachable controller is: no clock involved.
            await new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously).Task.WaitAsync(cancellationToken);
        }
    }
}
