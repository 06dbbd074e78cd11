using System.CommandLine;
using System.CommandLine.Invocation;
using GridTrain.Cli.Commands;
using GridTrain.Cli.Commands.Agents;
using GridTrain.Cli.Commands.Contexts;
using GridTrain.Cli.Commands.Controller;
using GridTrain.Cli.Commands.Demo;
using GridTrain.Cli.Commands.Jobs;
using GridTrain.Cli.Commands.Sessions;
using GridTrain.Cli.Commands.Tokens;
using GridTrain.Cli.Errors;

namespace GridTrain.Cli;

/// <summary>The <c>gridtrain</c> command tree, and running it with GridTrain's exit codes and error messages.</summary>
internal static class GridTrainCli
{
    public static RootCommand Create(CliContext context)
    {
        var root = new RootCommand("GridTrain: training sessions and jobs on your own GPU machines.")
        {
            SessionCommand.Create(context),
            JobCommand.Create(context),
            AgentCommandGroup.Create(context),
            ControllerCommand.Create(context),
            DemoCommand.Create(context),
            QuotaCommand.Create(context),
            TokenCommand.Create(context),
            ContextCommand.Create(context),
        };
        foreach (var option in ConnectionOptions.Create())
        {
            root.Options.Add(option);
        }

        return root;
    }

    /// <summary>Parses and runs <paramref name="args"/>; returns the process exit code (see <see cref="ExitCodes"/>).</summary>
    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken = default)
    {
        var root = Create(context);
        var parseResult = root.Parse(args);
        if (parseResult.Action is ParseErrorAction)
        {
            UsageErrors.Write(parseResult, context.Error);
            return ExitCodes.Usage;
        }

        var invocation = new InvocationConfiguration
        {
            Output = context.Out,
            Error = context.Error,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = context.TerminationTimeout,
        };
        try
        {
            return await parseResult.InvokeAsync(invocation, cancellationToken);
        }
        catch (Exception ex) when (CommandErrors.Describe(ex, parseResult) is { } error)
        {
            await context.Error.WriteLineAsync(error.Message);
            return error.ExitCode;
        }
    }
}
