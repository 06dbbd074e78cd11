using System.CommandLine;
using GridTrain.Cli.Output;
using GridTrain.Protos.V1;

namespace GridTrain.Cli.Commands.Agents;

/// <summary><c>gridtrain agent gpu undrain AGENT INDEX</c>: an admin puts a GPU out of service back into service.</summary>
internal static class AgentGpuCommand
{
    public static Command Create(CliContext context) => new("gpu", "One GPU of an agent")
    {
        Undrain(context),
    };

    private static Command Undrain(CliContext context)
    {
        var controller = new ControllerOption(context);
        var output = OutputOption.Create();
        var agentName = new Argument<string>("AGENT") { Description = "Agent id (agt-...) or name" };
        var index = new Argument<int>("INDEX") { Description = "The GPU's index on the agent (as 'agent gpus AGENT' lists it)" };
        var command = new Command("undrain", "Put a GPU the agent took out of service (an Xid, ECC errors, a lost GPU…) back into service now. Admins only") { agentName, index, controller, output };
        command.SetAction(async (parseResult, ct) =>
        {
            using var client = controller.Connect(parseResult);
            var found = await AgentLookup.FindAsync(client, parseResult.GetValue(agentName)!, context, ct);
            var request = new UndrainGpuRequest { AgentId = found.Id, GpuIndex = parseResult.GetValue(index) };
            var agent = await client.Fleet.UndrainGpuAsync(request, deadline: context.CallDeadline(), cancellationToken: ct);
            context.Print(parseResult.GetValue(output), agent, (w, _) => AgentView.Gpus(agent).WriteTo(w));
            return ExitCodes.Success;
        });
        return command;
    }
}
