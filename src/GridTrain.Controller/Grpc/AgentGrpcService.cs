using Grpc.Core;
using GridTrain.Contracts.Mapping;
using GridTrain.Controller.Grpc.Tunnels;
using GridTrain.Controller.Metrics;
using GridTrain.Controller.Security;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.Protos.V1;

namespace GridTrain.Controller.Grpc;

/// <summary>
/// The agent-facing API over <see cref="GridCoordinator"/>. Register (with the join token) hands out a credential bound
/// to the agent id; every other call must carry it and may name only that agent, whose leases the coordinator checks.
/// </summary>
internal sealed class AgentGrpcService(GridCoordinator grid, TokenRegistry tokens, CallAuthenticator authenticator, TunnelBroker tunnels, ControllerSecurityOptions security) : AgentService.AgentServiceBase
{
    private const int MaxEventsPerReport = 1000;

    public override async Task<RegisterAgentResponse> Register(RegisterAgentRequest request, ServerCallContext context)
    {
        var registration = await grid.RegisterAgentAsync(
            request.Name,
            request.Inventory.ToDomain(),
            request.Version,
            request.Sessions.ToDomain(),
            request.RunningJobs.ToDomain(),
            context.CancellationToken,
            request.GpuHealth.ToDomain(),
            request.Instance);
        var credential = await tokens.IssueAgentCredentialAsync(registration.Agent.Id, context.CancellationToken);
        return new RegisterAgentResponse
        {
            AgentId = registration.Agent.Id,
            AgentCredential = credential,
            HeartbeatInterval = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(grid.Options.HeartbeatInterval),
            AgentTimeout = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(grid.Options.AgentTimeout),
            StopJobIds = { registration.Instructions.StopJobIds },
            ReleaseSessionIds = { registration.Instructions.ReleaseSessionIds },
        };
    }

    public override Task<HeartbeatResponse> Heartbeat(HeartbeatRequest request, ServerCallContext context) => HeartbeatAsync(request, context);

    public override async Task Heartbeats(IAsyncStreamReader<HeartbeatRequest> requestStream, IServerStreamWriter<HeartbeatResponse> responseStream, ServerCallContext context)
    {
        // Read from the body, not through requestStream: see RequestFrameReader. The interceptor authenticated the call
        // for its first request; each later one is checked as a call would be.
        var requests = new RequestFrameReader<HeartbeatRequest>(context, HeartbeatRequest.Descriptor, security.MaxReceiveMessageBytes);
        var exchanges = responseStream as IExchangeTimer;
        var first = true;
        var reading = false;
        HeartbeatRequest? request;
        try
        {
            while ((request = await ReadNext()) is not null)
            {
                reading = false;
                exchanges?.RequestReceived();
                if (!first)
                {
                    await authenticator.AuthenticateAsync(context);
                }

                first = false;
                var response = await HeartbeatAsync(request, context);
                request = null; // the frame waits seconds for the next heartbeat: it must not hold this one
                await responseStream.WriteAsync(response, context.CancellationToken);
            }
        }
        catch (IOException) when (reading || context.CancellationToken.IsCancellationRequested)
        {
            // The agent reset its stream (it stopped, or reconnects to another replica): the stream is over, which is
            // not an error of the controller's. Left to gRPC, each would be logged as an unexpected error with its
            // stack: 10,000 of them when a fleet restarts. Kestrel signals the call's token apart from failing the read,
            // and it may not be cancelled yet when the read fails: a read that fails is enough to know.
        }

        ValueTask<HeartbeatRequest?> ReadNext()
        {
            reading = true;
            return requests.ReadAsync(context.CancellationToken);
        }
    }

    private async Task<HeartbeatResponse> HeartbeatAsync(HeartbeatRequest request, ServerCallContext context)
    {
        RequireSelf(request.AgentId, context);
        var gpuHealth = request.GpuHealth.ToDomain();
        var instructions = request.Resources is { } resources
            ? await grid.HeartbeatAsync(request.AgentId, request.Sessions.ToDomain(), request.RunningJobs.ToDomain(), resources.ToDomain(), context.CancellationToken, gpuHealth)
            : await grid.HeartbeatAsync(request.AgentId, request.Sessions.ToDomain(), request.RunningJobs.ToDomain(), context.CancellationToken, gpuHealth);
        return new HeartbeatResponse { StopJobIds = { instructions.StopJobIds }, ReleaseSessionIds = { instructions.ReleaseSessionIds } };
    }

    public override async Task ReceiveCommands(ReceiveCommandsRequest request, IServerStreamWriter<GridTrain.Protos.V1.AgentCommand> responseStream, ServerCallContext context)
    {
        RequireSelf(request.AgentId, context);
        var commands = await grid.OpenCommandStreamAsync(request.AgentId, context.CancellationToken);

        // The wait for the next command takes no token: a wait with one is a new object each time, which the stream's
        // long-lived frame points at until the agent's next command, a card every collection must scan (44 % of them
        // during a burst of placements at 10,000 agents). The call's end closes the stream instead, which ends the wait.
        using var closing = context.CancellationToken.Register(() => grid.CloseCommandStream(request.AgentId, commands));
        try
        {
            while (await commands.WaitToReadAsync())
            {
                while (commands.TryRead(out var command))
                {
                    var message = command.ToProto();
                    // The agent enforces the dataset roots where the files are, after following links.
                    message.StartJob?.ReadRoots.Add(security.DatasetRoots);
                    await responseStream.WriteAsync(message, context.CancellationToken);
                }
            }
        }
        finally
        {
            grid.CloseCommandStream(request.AgentId, commands);
        }
    }

    public override async Task<ReportJobEventsResponse> ReportJobEvents(ReportJobEventsRequest request, ServerCallContext context)
    {
        RequireSelf(request.AgentId, context);
        RequestLimits.Id(request.JobId, "job_id");
        if (request.Events.Count > MaxEventsPerReport)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"events: at most {MaxEventsPerReport} per report, got {request.Events.Count}"));
        }

        RequestLimits.Events(request.Events);
        var events = request.Events.Select((e, i) => new ReportedEvent(e.Sequence, e.ToDomain(i))).ToList();
        var acknowledged = await grid.ReportJobEventsAsync(request.AgentId, request.JobId, request.LeaseEpoch, events, context.CancellationToken);
        return new ReportJobEventsResponse { AcknowledgedSequence = acknowledged };
    }

    public override async Task<ReportJobResultResponse> ReportJobResult(ReportJobResultRequest request, ServerCallContext context)
    {
        RequireSelf(request.AgentId, context);
        RequestLimits.Id(request.JobId, "job_id");
        RequestLimits.Result(request.Result);
        await grid.ReportJobResultAsync(request.AgentId, request.JobId, request.LeaseEpoch, request.Result.ToDomain(), context.CancellationToken);
        return new ReportJobResultResponse();
    }

    public override async Task Tunnel(IAsyncStreamReader<GridTrain.Protos.V1.TunnelFrame> requestStream, IServerStreamWriter<GridTrain.Protos.V1.TunnelFrame> responseStream, ServerCallContext context)
    {
        if (!await requestStream.MoveNext(context.CancellationToken) || requestStream.Current.FrameCase != GridTrain.Protos.V1.TunnelFrame.FrameOneofCase.Hello)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the first frame of a tunnel must be hello {agent_id, tunnel_id}"));
        }

        var hello = requestStream.Current.Hello;
        RequireSelf(hello.AgentId, context);
        RequestLimits.Id(hello.TunnelId, "tunnel_id");
        await tunnels.AttachAsync(hello.AgentId, hello.TunnelId, requestStream, responseStream, context.CancellationToken);
    }

    /// <summary>An agent's credential acts only as that agent.</summary>
    private static void RequireSelf(string agentId, ServerCallContext context)
    {
        RequestLimits.Id(agentId, "agent_id");
        if (!string.Equals(agentId, context.Caller().User, StringComparison.Ordinal))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, "agent_id: this credential acts only as the agent it was issued to"));
        }
    }
}
