using System.Collections.Concurrent;
using System.Security.Cryptography;
using Grpc.Core;
using GridTrain.Domain;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.Domain.Sessions;
using Wire = GridTrain.Protos.V1;

namespace GridTrain.Controller.Grpc.Tunnels;

/// <summary>
/// Meets a user's call and its agent's tunnel call: <see cref="OpenAsync"/> asks the session's agent (on its command
/// stream, since agents connect out) to open a tunnel and waits for it; <see cref="AttachAsync"/> is the agent's
/// call arriving, which then lasts as long as the user's. Both calls are request handlers, so nothing here runs
/// unowned: the user's handler pipes the frames and ends the agent's call by disposing the <see cref="TunnelLink"/>.
/// </summary>
internal sealed class TunnelBroker(GridCoordinator grid, TimeProvider time)
{
    /// <summary>How long an agent has to open a tunnel it was asked for.</summary>
    public static readonly TimeSpan AttachTimeout = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, Pending> _pending = new(StringComparer.Ordinal);

    /// <summary>Asks the agent of <paramref name="session"/> for a tunnel carrying <paramref name="request"/> and waits until it is open.</summary>
    /// <exception cref="GridException">FAILED_PRECONDITION: the agent is not connected or did not open the tunnel in time.</exception>
    public async Task<TunnelLink> OpenAsync(Session session, TunnelRequest request, CancellationToken cancellationToken)
    {
        var agentId = session.AgentId ?? throw new GridException(GridError.FailedPrecondition, $"session {session.Id} has no agent");
        var tunnelId = "tun-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var pending = new Pending(agentId);
        _pending[tunnelId] = pending;
        try
        {
            if (!grid.SendToAgent(agentId, new OpenTunnel(tunnelId, session.Id, session.LeaseEpoch, request)))
            {
                throw new GridException(GridError.FailedPrecondition, $"the agent of session {session.Id} is not connected now; try again in a few seconds");
            }

            using var deadline = new CancellationTokenSource(AttachTimeout, time);
            using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
            try
            {
                return await pending.Attached.Task.WaitAsync(waiting.Token);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new GridException(GridError.FailedPrecondition, $"the agent of session {session.Id} did not open the {request.Kind} tunnel within {AttachTimeout.TotalSeconds:0}s; try again");
            }
        }
        finally
        {
            _pending.TryRemove(tunnelId, out _);

            // An agent arriving now finds the tunnel gone; one that arrived just as the user gave up is let go.
            if (!pending.Attached.TrySetCanceled() && cancellationToken.IsCancellationRequested && pending.Attached.Task.IsCompletedSuccessfully)
            {
                await pending.Attached.Task.Result.DisposeAsync();
            }
        }
    }

    /// <summary>The agent's tunnel call: hands its streams to the waiting user call and lasts until that call is done with them.</summary>
    public async Task AttachAsync(string agentId, string tunnelId, IAsyncStreamReader<Wire.TunnelFrame> fromAgent, IServerStreamWriter<Wire.TunnelFrame> toAgent, CancellationToken cancellationToken)
    {
        var link = new TunnelLink(fromAgent, toAgent);
        if (!_pending.TryGetValue(tunnelId, out var pending) || pending.AgentId != agentId || !pending.Attached.TrySetResult(link))
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"tunnel '{tunnelId}' is unknown to this controller or its user is gone"));
        }

        await link.Done.WaitAsync(cancellationToken);
    }

    private sealed class Pending(string agentId)
    {
        public string AgentId { get; } = agentId;

        public TaskCompletionSource<TunnelLink> Attached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>An open tunnel as the user's call sees it: the agent's frames and a way to send it the user's; disposing ends the agent's call.</summary>
internal sealed class TunnelLink(IAsyncStreamReader<Wire.TunnelFrame> fromAgent, IServerStreamWriter<Wire.TunnelFrame> toAgent) : IAsyncDisposable
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IAsyncStreamReader<Wire.TunnelFrame> FromAgent { get; } = fromAgent;

    public IServerStreamWriter<Wire.TunnelFrame> ToAgent { get; } = toAgent;

    /// <summary>Completes when the user's side is done.</summary>
    public Task Done => _done.Task;

    public ValueTask DisposeAsync()
    {
        _done.TrySetResult();
        return ValueTask.CompletedTask;
    }
}
