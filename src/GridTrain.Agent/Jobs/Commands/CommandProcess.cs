using System.Diagnostics;
using System.Threading.Channels;
using GridTrain.Agent.Jobs.Processes;
using GridTrain.Agent.UserCode;
using GridTrain.Domain.Jobs;

namespace GridTrain.Agent.Jobs.Commands;

/// <summary>
/// A command job's process (the user's own program) in its own process group: its output lines become log events,
/// its events file, checkpoint directory and TensorBoard files are read on a poll driven by the agent's
/// <see cref="TimeProvider"/>. A stop is SIGTERM to the group, SIGKILL after the grace; when the program exits, what is
/// left of its group is killed (a job's processes never outlive it). Exit 0 succeeds; any other code, or a signal,
/// fails the job with the last lines of its standard error.
/// </summary>
internal sealed class CommandProcess : IJobProcess
{
    /// <summary>How often the events file, checkpoint directory and TensorBoard files are read.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    private const int StderrTailLines = 20;
    private const int TailInReason = 10;

    private readonly Process _process;
    private readonly CommandOutputs _outputs;
    private readonly TimeProvider _time;
    private readonly Channel<TrainingEvent> _events = Channel.CreateUnbounded<TrainingEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Queue<string> _stderrTail = new();
    private readonly CancellationTokenSource _polling = new();
    private Task<JobExit> _exit = null!;
    private string? _stopReason;

    private CommandProcess(Process process, CommandOutputs outputs, TimeProvider time)
    {
        _process = process;
        _outputs = outputs;
        _time = time;
    }

    public int ProcessId { get; private set; }

    public ChannelReader<TrainingEvent> Events => _events.Reader;

    public Task<JobExit> Exited => _exit;

    /// <summary>Starts the program (under <see cref="AgentDeathWatch"/>, which holds the standard input the agent keeps open).</summary>
    public static CommandProcess Start(UserProcessStart start, CommandOutputs outputs, TimeProvider time)
    {
        var process = new Process { StartInfo = start.ToStartInfo(), EnableRaisingEvents = true };
        var job = new CommandProcess(process, outputs, time);
        process.Start();
        job.ProcessId = process.Id;
        job._exit = job.PumpAsync();
        return job;
    }

    public async Task StopAsync(string reason, TimeSpan grace)
    {
        _stopReason ??= reason;
        if (_exit.IsCompleted)
        {
            return;
        }

        Signals.TerminateGroup(ProcessId);
        try
        {
            await _exit.WaitAsync(grace, _time);
        }
        catch (TimeoutException)
        {
            Kill();
            await _exit;
        }
    }

    /// <summary>SIGKILL to the whole process group.</summary>
    public void Kill() => Signals.KillGroup(ProcessId);

    public void Dispose()
    {
        // Standard input stays open for the job's life: the supervisor ends the job when it closes.
        _process.StandardInput.Dispose();
        _process.Dispose();
        _polling.Dispose();
    }

    private async Task<JobExit> PumpAsync()
    {
        var stdout = ReadLinesAsync(_process.StandardOutput, "stdout");
        var stderr = ReadLinesAsync(_process.StandardError, "stderr");
        var polling = PollAsync(_polling.Token);
        await _process.WaitForExitAsync();

        // Children that outlive the program (or ignored SIGTERM) would hold its output open: the group goes with it.
        Signals.KillGroup(ProcessId);
        await Task.WhenAll(stdout, stderr);
        await _polling.CancelAsync();
        await polling;
        Publish(ScanSafely());

        var exitCode = _process.ExitCode;
        string[] tail;
        lock (_stderrTail)
        {
            tail = [.. _stderrTail];
        }

        var terminal = _stopReason is not null ? null : Terminal(exitCode, tail);
        if (terminal is not null)
        {
            _events.Writer.TryWrite(terminal);
        }

        _events.Writer.TryComplete();
        return new JobExit(exitCode, terminal, _stopReason, tail);
    }

    private TrainingEvent Terminal(int exitCode, string[] tail)
    {
        if (exitCode == 0)
        {
            return _outputs.Finished();
        }

        var lines = tail.Length > 0 ? ": " + string.Join(" | ", tail.TakeLast(TailInReason)) : " (no standard error)";
        return exitCode > 128
            ? new TrainingFailed($"command killed by {Signals.Name(exitCode - 128)} (exit code {exitCode}){lines}", UserError: false)
            : new TrainingFailed($"command exited with code {exitCode}{lines}", UserError: true);
    }

    private async Task ReadLinesAsync(StreamReader reader, string stream)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            if (stream == "stderr")
            {
                lock (_stderrTail)
                {
                    _stderrTail.Enqueue(line);
                    if (_stderrTail.Count > StderrTailLines)
                    {
                        _stderrTail.Dequeue();
                    }
                }
            }

            _events.Writer.TryWrite(new LogWritten(stream, line));
        }
    }

    private async Task PollAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(PollInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                Publish(ScanSafely());
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The program exited; the pump reads once more.
        }
    }

    private IReadOnlyList<TrainingEvent> ScanSafely()
    {
        try
        {
            return _outputs.Scan();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [new LogWritten("agent", $"could not read the job's events, checkpoints or TensorBoard files: {ex.Message}")];
        }
    }

    private void Publish(IReadOnlyList<TrainingEvent> found)
    {
        foreach (var e in found)
        {
            _events.Writer.TryWrite(e);
        }
    }
}
