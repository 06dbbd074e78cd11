using Grpc.Core;
using GridTrain.Contracts.Mapping;
using GridTrain.Domain.Grid;
using GridTrain.Protos.V1;

namespace GridTrain.Controller.Grpc;

/// <summary>The user-facing view of the machines.</summary>
internal sealed class FleetGrpcService(GridCoordinator grid) : FleetService.FleetServiceBase
{
    public override async Task<ListAgentsResponse> ListAgents(ListAgentsRequest request, ServerCallContext context)
    {
        var agents = await grid.ListAgentsAsync(context.CancellationToken);
        return new ListAgentsResponse { Agents = { agents.Select(a => a.ToProto()) } };
    }

    public override async Task<Agent> CordonAgent(CordonAgentRequest request, ServerCallContext context) =>
        (await grid.CordonAgentAsync(request.AgentId, cordon: !request.Uncordon, context.CancellationToken)).ToProto();

    public override async Task<Agent> DrainAgent(DrainAgentRequest request, ServerCallContext context) =>
        (await grid.DrainAgentAsync(request.AgentId, request.Deadline.ToDomain("deadline") ?? TimeSpan.FromMinutes(5), context.CancellationToken)).ToProto();
}
