using System.CommandLine;
using Google.Protobuf;
using Grpc.Core;
using GridTrain.Protos.V1;

namespace GridTrain.Cli.Commands.Sessions;

/// <summary>
/// <c>gridtrain session exec ID [-i] [--timeout D] -- CMD ARGS…</c>, like <c>kubectl exec</c>: the command's standard
/// output and error arrive as bytes on this process's, standard input goes to it with <c>-i</c>, and this process exits
/// with its exit code (128 + N when signal N ended it). Ctrl+C stops the remote command's whole process group.
/// </summary>
internal static class SessionExecCommand
{
    private const int ChunkBytes = 64 * 1024;

    public static Command Create(CliContext context)
    {
        var controller = new ControllerOption(context);
        var id = new Argument<string>("ID") { Description = "Session id (ses-...)" };
        var argv = new Argument<string[]>("COMMAND") { Description = "The program and its arguments, after -- (no shell: use sh -c '...' for one)", Arity = ArgumentArity.OneOrMore };
        var stdin = new Option<bool>("--stdin", "-i") { Description = "Send this terminal's standard input to the command" };
        var timeout = new DurationOption("--timeout") { Description = "Stop the command (SIGTERM to its process group, then SIGKILL) after this long [default: no limit]" };
        var command = new Command("exec", "Run a command in a session's workspace on its agent, with the session's GPUs") { id, argv, stdin, timeout, controller };
        command.SetAction(async (parseResult, ct) =>
        {
            using var client = controller.Connect(parseResult);
            var start = new ExecStart { SessionId = parseResult.GetValue(id)!, Argv = { parseResult.GetValue(argv)! }, Stdin = parseResult.GetValue(stdin) };
            if (parseResult.GetValue(timeout) is { } limit)
            {
                start.Timeout = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(limit);
            }

            using var call = client.Sessions.Exec(cancellationToken: ct);
            await call.RequestStream.WriteAsync(new ExecRequest { Start = start }, ct);
            using var forwarding = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var input = start.Stdin ? ForwardAsync(context.OpenStandardInput(), call.RequestStream, forwarding.Token) : call.RequestStream.CompleteAsync();
            await using var stdout = context.OpenStandardOutput();
            await using var stderr = context.OpenStandardError();
            ExecExit? exit = null;
            await foreach (var message in call.ResponseStream.ReadAllAsync(ct))
            {
                switch (message.MessageCase)
                {
                    case ExecResponse.MessageOneofCase.Stdout:
                        await stdout.WriteAsync(message.Stdout.Memory, ct);
                        break;
                    case ExecResponse.MessageOneofCase.Stderr:
                        await stderr.WriteAsync(message.Stderr.Memory, ct);
                        break;
                    case ExecResponse.MessageOneofCase.Exit:
                        exit = message.Exit;
                        break;
                }
            }

            await stdout.FlushAsync(ct);
            await forwarding.CancelAsync();
            await FinishForwardingAsync(input, context.Time);
            if (exit is null)
            {
                await context.Error.WriteLineAsync("error: the exec ended without the command's exit status");
                return ExitCodes.Failure;
            }

            if (exit.TimedOut)
            {
                await context.Error.WriteLineAsync($"gridtrain: the command ran past --timeout {parseResult.GetResult(timeout)?.Tokens[0].Value} and was stopped (SIGTERM to its process group)");
            }

            return exit.Signal > 0 ? 128 + exit.Signal : exit.ExitCode;
        });
        return command;
    }

    /// <summary>Standard input to the command in chunks, then its end.</summary>
    private static async Task ForwardAsync(Stream input, IClientStreamWriter<ExecRequest> requests, CancellationToken cancellationToken)
    {
        var buffer = new byte[ChunkBytes];
        int read;
        while ((read = await input.ReadAsync(buffer, cancellationToken)) > 0)
        {
            await requests.WriteAsync(new ExecRequest { Stdin = ByteString.CopyFrom(buffer, 0, read) }, cancellationToken);
        }

        await requests.WriteAsync(new ExecRequest { StdinClose = true }, cancellationToken);
        await requests.CompleteAsync();
    }

    /// <summary>
    /// Waits for the forwarding of standard input to end. A read of a terminal's standard input cannot be cancelled, so
    /// one still blocked when the command has ended is waited for only briefly; the process exits right after.
    /// </summary>
    private static async Task FinishForwardingAsync(Task input, TimeProvider time)
    {
        try
        {
            await input.WaitAsync(TimeSpan.FromMilliseconds(200), time);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or RpcException or InvalidOperationException or IOException)
        {
            // The command ended first: what was left of standard input is not wanted.
        }
    }
}
