using System.CommandLine;
using GridTrain.Cli.Output;
using GridTrain.Protos.V1;

namespace GridTrain.Cli.Commands.Agents;

/// <summary>The command group <c>gridtrain agent ls|run|gpus|gpu|cordon|drain</c>.</summary>
internal static class AgentCommandGroup
{
    public static Command Create(CliContext context) => new("agent", "Agents: the machines of the grid")
    {
        ListAgents(context),
        AgentRunCommand.Create(context),
        AgentGpusCommand.Create(context),
        AgentGpuCommand.Create(context),
        Cordon(context),
        Drain(context),
    };

    private static Command Cordon(CliContext context)
    {
        var controller = new ControllerOption(context);
        var output = OutputOption.Create();
        var id = new Argument<string>("ID") { Description = "Agent id (agt-...)" };
        var undo = new Option<bool>("--undo") { Description = "Lift the cordon: the agent takes new sessions again" };
        var command = new Command("cordon", "Stop placing new sessions on an agent; its sessions stay") { id, undo, controller, output };
        command.SetAction(async (parseResult, ct) =>
        {
            using var client = controller.Connect(parseResult);
            var agent = await client.Fleet.CordonAgentAsync(new CordonAgentRequest { AgentId = parseResult.GetValue(id), Uncordon = parseResult.GetValue(undo) }, deadline: context.CallDeadline(), cancellationToken: ct);
            context.Print(parseResult.GetValue(output), agent, (w, now) => AgentView.Table([agent], now).WriteTo(w));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Drain(CliContext context)
    {
        var controller = new ControllerOption(context);
        var output = OutputOption.Create();
        var id = new Argument<string>("ID") { Description = "Agent id (agt-...)" };
        var deadline = new DurationOption("--deadline") { Description = "How long running jobs get to checkpoint before their sessions move anyway [default: 5m]" };
        var command = new Command("drain", "Cordon an agent and move its sessions to other agents; running jobs checkpoint first and resume there") { id, deadline, controller, output };
        command.SetAction(async (parseResult, ct) =>
        {
            using var client = controller.Connect(parseResult);
            var request = new DrainAgentRequest { AgentId = parseResult.GetValue(id) };
            if (parseResult.GetValue(deadline) is { } limit)
            {
                request.Deadline = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(limit);
            }

            var agent = await client.Fleet.DrainAgentAsync(request, deadline: context.CallDeadline(), cancellationToken: ct);
            context.Print(parseResult.GetValue(output), agent, (w, now) => AgentView.Table([agent], now).WriteTo(w));
            return ExitCodes.Success;
        });
        return command;
    }

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
