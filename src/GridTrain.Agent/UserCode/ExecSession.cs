using System.Diagnostics;
using GridTrain.Agent.Connection.Tunnels;
using GridTrain.Agent.Jobs.Processes;
using GridTrain.Domain.AgentProtocol;
using Microsoft.Extensions.Logging;

namespace GridTrain.Agent.UserCode;

/// <summary>
/// One exec: the user's argv as a process of its own group (<see cref="UserProcessStart"/>), its output streamed to the
/// tunnel as bytes and its input fed from it, then its exit. Every write is awaited, so a slow reader at the other end
/// stops the agent reading the process's pipes and the process blocks: nothing buffers without bound. The client going
/// away, the timeout or <c>stopping</c> (the session released, the agent shutting down) end the whole group: SIGTERM,
/// then SIGKILL after the stop grace.
/// </summary>
internal sealed partial class ExecSession(
    ExecRequest request,
    UserProcessStart start,
    ITunnel tunnel,
    TimeSpan stopGrace,
    TimeSpan closeTimeout,
    TimeProvider time,
    ILogger logger)
{
    private const int ChunkBytes = 64 * 1024;

    /// <summary>Runs the command to its end and reports the exit; returns once the tunnel is finished.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        using var process = new Process { StartInfo = start.ToStartInfo() };
        process.Start();
        var groupId = process.Id;
        LogStarted(logger, groupId, request.Argv[0]);

        using var clientGone = new CancellationTokenSource();
        using var timeout = new CancellationTokenSource(request.Timeout ?? Timeout.InfiniteTimeSpan, time);
        using var closing = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(stopping, closing.Token);
        if (!request.Stdin)
        {
            process.StandardInput.Close();
        }

        var stdout = PumpAsync(process.StandardOutput.BaseStream, stderr: false, clientGone, stopping);
        var stderr = PumpAsync(process.StandardError.BaseStream, stderr: true, clientGone, stopping);
        var feed = FeedAsync(process, clientGone, reading.Token);

        var timedOut = false;
        using (var end = CancellationTokenSource.CreateLinkedTokenSource(stopping, timeout.Token, clientGone.Token))
        {
            try
            {
                await process.WaitForExitAsync(end.Token);
            }
            catch (OperationCanceledException) when (end.IsCancellationRequested)
            {
                timedOut = timeout.IsCancellationRequested;
                LogStopping(logger, groupId, timedOut ? "timeout" : clientGone.IsCancellationRequested ? "client gone" : "session released or agent stopping");
                await StopGroupAsync(process, groupId, Task.WhenAll(stdout, stderr));
            }
        }

        // Output still in the pipes belongs to the command's result; the pumps end at end-of-file.
        await Task.WhenAll(stdout, stderr);
        var exitCode = process.ExitCode;
        var signal = exitCode is > 128 and < 160 ? exitCode - 128 : 0;
        if (!clientGone.IsCancellationRequested && !stopping.IsCancellationRequested)
        {
            await tunnel.WriteAsync(new ExecExited(exitCode, signal, timedOut), stopping);
            await tunnel.CompleteAsync();
        }

        // The controller ends the tunnel once it has passed the exit on; give it that long, then stop listening.
        closing.CancelAfter(closeTimeout);
        await feed;
        LogEnded(logger, groupId, exitCode, signal);
    }

    /// <summary>
    /// SIGTERM to the group; SIGKILL to whatever of it is left after the grace (children that ignored SIGTERM too). The
    /// group is done early only when the leader has exited and the output pipes, which its children share, are closed.
    /// </summary>
    private async Task StopGroupAsync(Process process, int groupId, Task outputClosed)
    {
        Signals.TerminateGroup(groupId);
        using var grace = new CancellationTokenSource(stopGrace, time);
        try
        {
            await Task.WhenAll(process.WaitForExitAsync(grace.Token), outputClosed).WaitAsync(grace.Token);
        }
        catch (OperationCanceledException) when (grace.IsCancellationRequested)
        {
        }

        Signals.KillGroup(groupId);
        await process.WaitForExitAsync();
    }

    private async Task PumpAsync(Stream source, bool stderr, CancellationTokenSource clientGone, CancellationToken stopping)
    {
        var buffer = new byte[ChunkBytes];
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer, stopping)) > 0)
            {
                if (!clientGone.IsCancellationRequested)
                {
                    await tunnel.WriteAsync(new OutputData(stderr, buffer.AsMemory(0, read)), stopping);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException || (ex is OperationCanceledException && stopping.IsCancellationRequested) || ex is TunnelClosedException)
        {
            // The tunnel or the pipe is gone; the command is stopped by the caller.
            await clientGone.CancelAsync();
        }
    }

    /// <summary>Feeds the tunnel's input to the command; when the input ends for good (the client is gone), says so.</summary>
    private async Task FeedAsync(Process process, CancellationTokenSource clientGone, CancellationToken reading)
    {
        var stdin = request.Stdin ? process.StandardInput.BaseStream : null;
        try
        {
            await foreach (var frame in tunnel.ReadAllAsync(reading))
            {
                switch (frame)
                {
                    case StdinData data when stdin is not null:
                        try
                        {
                            await stdin.WriteAsync(data.Data, reading);
                            await stdin.FlushAsync(reading);
                        }
                        catch (IOException)
                        {
                            // The command closed its standard input; the rest is not wanted.
                            stdin = null;
                        }

                        break;
                    case StdinClosed or InputEnded when stdin is not null:
                        Close(stdin);
                        stdin = null;
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (reading.IsCancellationRequested)
        {
        }
        finally
        {
            if (stdin is not null)
            {
                Close(stdin);
            }
        }

        await clientGone.CancelAsync();
    }

    private static void Close(Stream stdin)
    {
        try
        {
            stdin.Dispose();
        }
        catch (IOException)
        {
            // A pipe the command already closed: nothing to flush.
        }
    }

    [LoggerMessage(50, LogLevel.Information, "Exec started: process group {GroupId} runs {Program}", EventName = "ExecStarted")]
    private static partial void LogStarted(ILogger logger, int groupId, string program);

    [LoggerMessage(51, LogLevel.Information, "Exec process group {GroupId}: stopping ({Why})", EventName = "ExecStopping")]
    private static partial void LogStopping(ILogger logger, int groupId, string why);

    [LoggerMessage(52, LogLevel.Information, "Exec process group {GroupId} ended: exit code {ExitCode}, signal {Signal}", EventName = "ExecEnded")]
    private static partial void LogEnded(ILogger logger, int groupId, int exitCode, int signal);
}
