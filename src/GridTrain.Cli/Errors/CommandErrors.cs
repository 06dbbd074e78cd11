using System.CommandLine;
using Grpc.Core;
using GridTrain.Cli.Commands;

namespace GridTrain.Cli.Errors;

/// <summary>Turns the failures a command can expect into one line for the user; anything else is a bug and keeps its stack trace.</summary>
internal static class CommandErrors
{
    public static CommandError? Describe(Exception exception, ParseResult parseResult) => exception switch
    {
        CliException cli => new CommandError($"error: {cli.Message}", cli.ExitCode),
        RpcException { StatusCode: StatusCode.Unavailable } rpc => new CommandError(Unreachable(rpc, parseResult), ExitCodes.Failure),
        RpcException { StatusCode: StatusCode.Cancelled } or OperationCanceledException => new CommandError("interrupted", ExitCodes.Interrupted),
        RpcException { StatusCode: StatusCode.Unauthenticated } rpc => new CommandError(
            $"error: {rpc.StatusCode}: {rpc.Status.Detail}\nhint: pass --token, set {ConnectionOptions.TokenVariable}, or save one in a context with 'gridtrain context set'",
            ExitCodes.Failure),
        RpcException rpc => new CommandError($"error: {rpc.StatusCode}: {rpc.Status.Detail}", ExitCodes.Failure),
        _ => null,
    };

    private static string Unreachable(RpcException exception, ParseResult parseResult)
    {
        var option = parseResult.CommandResult.Command.Options.OfType<ControllerOption>().FirstOrDefault();
        var address = option is null ? "the controller" : option.Resolve(parseResult).ToString().TrimEnd('/');
        return $"error: cannot reach the controller at {address} ({Cause(exception)}); start one with 'gridtrain controller run', "
            + $"or point --controller or {ControllerOption.EnvironmentVariable} at a running one";
    }

    private static string Cause(RpcException exception)
    {
        var cause = exception.Status.DebugException;
        while (cause?.InnerException is not null)
        {
            cause = cause.InnerException;
        }

        return cause?.Message ?? exception.Status.Detail;
    }
}
