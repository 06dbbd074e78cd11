using Grpc.Core;
using GridTrain.Contracts.Mapping;
using GridTrain.Controller.Security;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.Protos.V1;

namespace GridTrain.Controller.Grpc;

/// <summary>
/// The user-facing view of the machines. Any user may list agents (to see where capacity is), but sees only their
/// own session ids on them; cordoning, draining and undraining a GPU are for admins.
/// </summary>
internal sealed class FleetGrpcService(GridCoordinator grid, ResourceAccess access) : FleetService.FleetServiceBase
{
    public override Task<ListAgentsResponse> ListAgents(ListAgentsRequest request, ServerCallContext context) =>
        VisibleAgentsAsync(context.Caller(), context.CancellationToken);

    public override async Task WatchAgents(WatchAgentsRequest request, IServerStreamWriter<ListAgentsResponse> responseStream, ServerCallContext context)
    {
        var caller = context.Caller();
        var cancellationToken = context.CancellationToken;
        ListAgentsResponse? sent = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            // Taken before the read, so a change stored between the read and the wait is not missed. Sessions count too:
            // a placement or a release changes an agent's free GPUs and session list.
            var changed = Task.WhenAny(grid.Changes.NextChange(ChangeNotifier.AnyAgentKey), grid.Changes.NextChange(ChangeNotifier.AnySessionKey));
            var current = await VisibleAgentsAsync(caller, cancellationToken);
            if (sent is null || !WithoutHeartbeatTimes(current).Equals(WithoutHeartbeatTimes(sent)))
            {
                await responseStream.WriteAsync(current, cancellationToken);
                sent = current;
            }

            await changed.WaitAsync(cancellationToken);
        }
    }

    private async Task<ListAgentsResponse> VisibleAgentsAsync(Caller caller, CancellationToken cancellationToken)
    {
        var visible = await access.VisibleSessionIdsAsync(caller, cancellationToken);
        var agents = await grid.ListAgentsAsync(cancellationToken);
        var response = new ListAgentsResponse();
        foreach (var agent in agents.Select(a => a.ToProto()))
        {
            if (visible is not null)
            {
                var mine = agent.SessionIds.Where(visible.Contains).ToList();
                agent.SessionIds.Clear();
                agent.SessionIds.AddRange(mine);
            }

            response.Agents.Add(agent);
        }

        return response;
    }

    /// <summary>The list without each agent's last heartbeat time, which moves with every heartbeat and alone is no change worth sending.</summary>
    private static ListAgentsResponse WithoutHeartbeatTimes(ListAgentsResponse list)
    {
        var copy = list.Clone();
        foreach (var agent in copy.Agents)
        {
            agent.LastHeartbeatAt = null;
        }

        return copy;
    }

    public override async Task<Agent> CordonAgent(CordonAgentRequest request, ServerCallContext context)
    {
        RequireAdmin(context);
        RequestLimits.Id(request.AgentId, "agent_id");
        return (await grid.CordonAgentAsync(request.AgentId, cordon: !request.Uncordon, context.CancellationToken)).ToProto();
    }

    public override async Task<Agent> DrainAgent(DrainAgentRequest request, ServerCallContext context)
    {
        RequireAdmin(context);
        RequestLimits.Id(request.AgentId, "agent_id");
        return (await grid.DrainAgentAsync(request.AgentId, request.Deadline.ToDomain("deadline") ?? TimeSpan.FromMinutes(5), context.CancellationToken)).ToProto();
    }

    public override async Task<Agent> UndrainGpu(UndrainGpuRequest request, ServerCallContext context)
    {
        RequireAdmin(context);
        RequestLimits.Id(request.AgentId, "agent_id");
        return (await grid.UndrainGpuAsync(request.AgentId, request.GpuIndex, context.CancellationToken)).ToProto();
    }

    internal static void RequireAdmin(ServerCallContext context)
    {
        if (!context.Caller().IsAdmin)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, "admins only: this call needs an admin token"));
        }
    }
}
