using GridTrain.Cli.Errors;
using GridTrain.Client;
using GridTrain.Protos.V1;

namespace GridTrain.Cli.Commands.Agents;

/// <summary>Finds a registered agent by id or by name.</summary>
internal static class AgentLookup
{
    /// <exception cref="CliException">No agent has that id or name.</exception>
    public static async Task<Protos.V1.Agent> FindAsync(GridTrainClient client, string idOrName, CliContext context, CancellationToken cancellationToken)
    {
        var agents = await client.Fleet.ListAgentsAsync(new ListAgentsRequest(), deadline: context.CallDeadline(), cancellationToken: cancellationToken);
        return agents.Agents.FirstOrDefault(a => a.Id == idOrName) ?? agents.Agents.FirstOrDefault(a => a.Name == idOrName)
            ?? throw new CliException($"agent '{idOrName}': no agent has this id or name; 'gridtrain agent ls' lists them");
    }
}
