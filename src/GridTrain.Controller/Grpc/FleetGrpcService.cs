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
    public override async Task<ListAgentsResponse> ListAgents(ListAgentsRequest request, ServerCallContext context)
    {
        var visible = await access.VisibleSessionIdsAsync(context.Caller(), context.CancellationToken);
        var agents = await grid.ListAgentsAsync(context.CancellationToken);
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
