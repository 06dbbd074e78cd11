using System.CommandLine;
using Google.Protobuf;
using GridTrain.Client;
using GridTrain.Cli.Output;
using GridTrain.Protos.V1;

namespace GridTrain.Cli.Commands.Sessions;

/// <summary><c>gridtrain session create|get|ls|rm|resume|why-idle|keepalive|exec|cp</c>.</summary>
internal static class SessionCommand
{
    public static Command Create(CliContext context) => new("session", "Sessions: a hold on an agent's CPU slot or GPUs that jobs run in, like a notebook runtime")
    {
        CreateSession(context),
        GetSession(context),
        ListSessions(context),
        TerminateSession(context),
        TerminateAll(context),
        ResumeSession(context),
        WhyIdle(context),
        KeepAlive(context),
        SessionExecCommand.Create(context),
        SessionFilesCommand.Copy(context),
    };

    private static Command CreateSession(CliContext context)
    {
        var controller = new ControllerOption(context);
        var output = OutputOption.Create();
        var resources = new ResourceOptions();
        var name = new Option<string?>("--name") { Description = "A name to show in listings (at most 128 characters)", HelpName = "NAME" };
        var idleTimeout = new DurationOption("--idle-timeout") { Description = "Evict after this long without a running or queued job and without client activity [default: the controller's, 90m]" };
        var maxLifetime = new DurationOption("--max-lifetime") { Description = "Evict this long after creation or resume, idle or not [default: the controller's, 12h]" };
        var command = new Command("create", "Create a session; it is placed on an agent with free capacity") { name, idleTimeout, maxLifetime, controller, output };
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
            if (parseResult.GetValue(idleTimeout) is { } idle)
            {
                request.IdleTimeout = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(idle);
            }

            if (parseResult.GetValue(maxLifetime) is { } lifetime)
            {
                request.MaxLifetime = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(lifetime);
            }

            var session = await client.Sessions.CreateSessionAsync(request, deadline: context.CallDeadline(), cancellationToken: ct);
            context.Print(parseResult.GetValue(output), session, (w, now) => SessionView.Table([session], now).WriteTo(w));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command ListSessions(CliContext context)
    {
        var controller = new ControllerOption(context);
        var output = OutputOption.Create();
        var all = new Option<bool>("--all", "-a") { Description = "Include ended sessions (terminated, failed)" };
        var id = new Argument<string?>("ID") { Description = "A session id (ses-...): list its workspace instead", Arity = ArgumentArity.ZeroOrOne };
        var path = new Argument<string?>("PATH") { Description = "A directory of the workspace [default: the workspace]", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("ls", "List sessions, newest first; with a session id, list the files of its workspace") { id, path, all, controller, output };
        command.Aliases.Add("list");
        command.SetAction(async (parseResult, ct) =>
        {
            using var client = controller.Connect(parseResult);
            if (parseResult.GetValue(id) is { } sessionId)
            {
                return await SessionFilesCommand.ListAsync(context, client, sessionId, parseResult.GetValue(path) ?? "", parseResult.GetValue(output), ct);
            }

            var response = await client.Sessions.ListSessionsAsync(new ListSessionsRequest { IncludeEnded = parseResult.GetValue(all) }, deadline: context.CallDeadline(), cancellationToken: ct);
            var empty = parseResult.GetValue(all) ? "no sessions" : "no live sessions (--all lists ended ones too)";
            context.Print(parseResult.GetValue(output), response, (w, now) => SessionView.WriteList(w, response.Sessions, empty, now));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command GetSession(CliContext context) => BySessionId(
        context,
        "get",
        "Show one session",
        (client, id, deadline, ct) => client.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = id }, deadline: deadline, cancellationToken: ct).ResponseAsync,
        (w, now, session) => SessionView.Details(session, now).WriteTo(w));

    private static Command TerminateSession(CliContext context)
    {
        var command = BySessionId(
            context,
            "rm",
            "End a session: cancel its jobs and free its resources",
            (client, id, deadline, ct) => client.Sessions.TerminateSessionAsync(new TerminateSessionRequest { SessionId = id }, deadline: deadline, cancellationToken: ct).ResponseAsync,
            (w, now, session) => SessionView.Table([session], now).WriteTo(w));
        command.Aliases.Add("terminate");
        return command;
    }

    private static Command TerminateAll(CliContext context)
    {
        var controller = new ControllerOption(context);
        var output = OutputOption.Create();
        var command = new Command("rm-all", "End all your sessions (those of your token's user) that are not ended yet") { controller, output };
        command.SetAction(async (parseResult, ct) =>
        {
            using var client = controller.Connect(parseResult);
            var user = (await client.Tokens.WhoAmIAsync(new WhoAmIRequest(), deadline: context.CallDeadline(), cancellationToken: ct)).User;
            var listed = await client.Sessions.ListSessionsAsync(new ListSessionsRequest(), deadline: context.CallDeadline(), cancellationToken: ct);
            var ended = new ListSessionsResponse();
            foreach (var session in listed.Sessions.Where(s => s.Owner == user))
            {
                ended.Sessions.Add(await client.Sessions.TerminateSessionAsync(new TerminateSessionRequest { SessionId = session.Id }, deadline: context.CallDeadline(), cancellationToken: ct));
            }

            context.Print(parseResult.GetValue(output), ended, (w, now) => SessionView.WriteList(w, ended.Sessions, $"no live sessions of {user}", now));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command ResumeSession(CliContext context) => BySessionId(
        context,
        "resume",
        "Bring an evicted session back; its interrupted job continues from its latest checkpoint",
        (client, id, deadline, ct) => client.Sessions.ResumeSessionAsync(new ResumeSessionRequest { SessionId = id }, deadline: deadline, cancellationToken: ct).ResponseAsync,
        (w, now, session) => SessionView.Table([session], now).WriteTo(w));

    private static Command WhyIdle(CliContext context) => BySessionId(
        context,
        "why-idle",
        "Say whether a session counts as idle, why, and when it will be evicted",
        (client, id, deadline, ct) => client.Sessions.ExplainIdlenessAsync(new ExplainIdlenessRequest { SessionId = id }, deadline: deadline, cancellationToken: ct).ResponseAsync,
        (w, now, why) => SessionView.Idleness(why, now).WriteTo(w));

    private static Command KeepAlive(CliContext context) => BySessionId(
        context,
        "keepalive",
        "Mark activity on a session, postponing its idle eviction",
        (client, id, deadline, ct) => client.Sessions.KeepAliveAsync(new KeepAliveRequest { SessionId = id }, deadline: deadline, cancellationToken: ct).ResponseAsync,
        (w, now, session) => SessionView.Table([session], now).WriteTo(w));

    /// <summary>A command that takes a session id, makes one call, and prints its answer (a view, or JSON with <c>-o json</c>).</summary>
    private static Command BySessionId<TResponse>(
        CliContext context,
        string name,
        string description,
        Func<GridTrainClient, string, DateTime, CancellationToken, Task<TResponse>> call,
        Action<TextWriter, DateTimeOffset, TResponse> view)
        where TResponse : IMessage
    {
        var controller = new ControllerOption(context);
        var output = OutputOption.Create();
        var id = new Argument<string>("ID") { Description = "Session id (ses-...)" };
        var command = new Command(name, description) { id, controller, output };
        command.SetAction(async (parseResult, ct) =>
        {
            using var client = controller.Connect(parseResult);
            var response = await call(client, parseResult.GetValue(id)!, context.CallDeadline(), ct);
            context.Print(parseResult.GetValue(output), response, (w, now) => view(w, now, response));
            return ExitCodes.Success;
        });
        return command;
    }
}
