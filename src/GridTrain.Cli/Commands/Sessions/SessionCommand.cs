using System.CommandLine;
using GridTrain.Cli.Output;
using GridTrain.Protos.V1;

namespace GridTrain.Cli.Commands.Sessions;

/// <summary><c>gridtrain session create|get|ls|rm</c>.</summary>
internal static class SessionCommand
{
    public static Command Create(CliContext context) => new("session", "Sessions: a hold on an agent's CPU slot or GPUs that jobs run in, like a notebook runtime")
    {
        CreateSession(context),
        GetSession(context),
        ListSessions(context),
        TerminateSession(context),
    };

    private static Command CreateSession(CliContext context)
    {
        var controller = new ControllerOption(context);
        var output = OutputOption.Create();
        var resources = new ResourceOptions();
        var name = new Option<string?>("--name") { Description = "A name to show in listings (at most 128 characters)", HelpName = "NAME" };
        var command = new Command("create", "Create a session; it is placed on an agent with free capacity") { name, controller, output };
        resources.AddTo(command);
        command.SetAction(async (parseResult, ct) =>
        {
            using var client = controller.Connect(parseResult);
            var request = new CreateSessionRequest
            {
                Resources = resources.ToRequest(parseResult),
                Priority = resources.PriorityValue(parseResult),
                DisplayName = parseResult.GetValue(name) ?? "",
            };
            var session = await client.Sessions.CreateSessionAsync(request, deadline: context.CallDeadline(), cancellationToken: ct);
            context.Print(parseResult.GetValue(output), session, (w, now) => SessionView.Table([session], now).WriteTo(w));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command GetSession(CliContext context)
    {
        var controller = new ControllerOption(context);
        var output = OutputOption.Create();
        var id = new Argument<string>("ID") { Description = "Session id (ses-...)" };
        var command = new Command("get", "Show one session") { id, controller, output };
        command.SetAction(async (parseResult, ct) =>
        {
            using var client = controller.Connect(parseResult);
            var session = await client.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = parseResult.GetValue(id) }, deadline: context.CallDeadline(), cancellationToken: ct);
            context.Print(parseResult.GetValue(output), session, (w, now) => SessionView.Details(session, now).WriteTo(w));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command ListSessions(CliContext context)
    {
        var controller = new ControllerOption(context);
        var output = OutputOption.Create();
        var all = new Option<bool>("--all", "-a") { Description = "Include ended sessions (terminated, failed)" };
        var command = new Command("ls", "List sessions, newest first") { all, controller, output };
        command.Aliases.Add("list");
        command.SetAction(async (parseResult, ct) =>
        {
            using var client = controller.Connect(parseResult);
            var response = await client.Sessions.ListSessionsAsync(new ListSessionsRequest { IncludeEnded = parseResult.GetValue(all) }, deadline: context.CallDeadline(), cancellationToken: ct);
            context.Print(parseResult.GetValue(output), response, (w, now) =>
            {
                if (response.Sessions.Count == 0)
                {
                    w.WriteLine(parseResult.GetValue(all) ? "no sessions" : "no live sessions (--all lists ended ones too)");
                    return;
                }

                SessionView.Table(response.Sessions, now).WriteTo(w);
            });
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command TerminateSession(CliContext context)
    {
        var controller = new ControllerOption(context);
        var output = OutputOption.Create();
        var id = new Argument<string>("ID") { Description = "Session id (ses-...)" };
        var command = new Command("rm", "End a session: cancel its jobs and free its resources") { id, controller, output };
        command.Aliases.Add("terminate");
        command.SetAction(async (parseResult, ct) =>
        {
            using var client = controller.Connect(parseResult);
            var session = await client.Sessions.TerminateSessionAsync(new TerminateSessionRequest { SessionId = parseResult.GetValue(id) }, deadline: context.CallDeadline(), cancellationToken: ct);
            context.Print(parseResult.GetValue(output), session, (w, now) => SessionView.Table([session], now).WriteTo(w));
            return ExitCodes.Success;
        });
        return command;
    }
}
