using System.CommandLine;
using GridTrain.Cli.Output;
using GridTrain.Protos.V1;

namespace GridTrain.Cli.Commands.Agents;

/// <summary><c>gridtrain agent ls|run</c>.</summary>
internal static class AgentCommand
{
    public static Command Create(CliContext context) => new("agent", "Agents: the machines of the grid")
    {
        ListAgents(context),
        AgentRunCommand.Create(context),
    };

    private static Command ListAgents(CliContext context)
    {
        var controller = new ControllerOption(context);
        var output = OutputOption.Create();
        var command = new Command("ls", "List agents with their capacity and use") { controller, output };
        command.Aliases.Add("list");
        command.SetAction(async (parseResult, ct) =>
        {
            using var client = controller.Connect(parseResult);
            var response = await client.Fleet.ListAgentsAsync(new ListAgentsRequest(), deadline: context.CallDeadline(), cancellationToken: ct);
            context.Print(parseResult.GetValue(output), response, (w, now) =>
            {
                if (response.Agents.Count == 0)
                {
                    w.WriteLine("no agents; start one with 'gridtrain agent run'");
                    return;
                }

                AgentView.Table(response.Agents, now).WriteTo(w);
            });
            return ExitCodes.Success;
        });
        return command;
    }
}
