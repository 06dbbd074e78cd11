using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using GridTrain.Domain.Jobs;

namespace GridTrain.Agent.Jobs.Processes;

/// <summary>
/// One job's child process: started with a <see cref="WorkerRequest"/> file, limited to its GPUs and threads,
/// reporting <see cref="TrainingEvent"/>s on standard output. Its other output becomes log events.
/// </summary>
internal sealed class WorkerProcess : IJobProcess
{
    private const int StderrTailLines = 20;

    private readonly Process _process;
    private readonly Channel<TrainingEvent> _events = Channel.CreateUnbounded<TrainingEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Queue<string> _stderrTail = new();
    private readonly TimeProvider _time;
    private Task<JobExit> _exit = null!;
    private TrainingEvent? _terminal;
    private string? _stopReason;

    private WorkerProcess(Process process, TimeProvider time)
    {
        _process = process;
        _time = time;
    }

    public ChannelReader<TrainingEvent> Events => _events.Reader;

    /// <summary>Completes when the process has exited and its output is fully read.</summary>
    public Task<JobExit> Exited => _exit;

    public int ProcessId => _process.Id;

    public static WorkerProcess Start(WorkerRequest request, IReadOnlyList<int> gpuIndexes, string workerPath, string requestPath, TimeProvider time)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(requestPath)!);
        File.WriteAllText(requestPath, JsonSerializer.Serialize(request, WorkerProtocol.JsonOptions));

        var startInfo = new ProcessStartInfo(DotnetHost.Resolve())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = request.WorkDirectory,
        };
        startInfo.ArgumentList.Add("exec");
        startInfo.ArgumentList.Add(workerPath);
        startInfo.ArgumentList.Add("--request");
        startInfo.ArgumentList.Add(requestPath);
        startInfo.ArgumentList.Add(WorkerProtocol.StopWhenStdinClosesFlag);

        var threads = request.Threads.ToString(System.Globalization.CultureInfo.InvariantCulture);
        startInfo.Environment["OMP_NUM_THREADS"] = threads;
        startInfo.Environment["MKL_NUM_THREADS"] = threads;
        // GPU indexes are NVML's (PCI bus order); CUDA numbers devices fastest-first unless told otherwise.
        startInfo.Environment["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID";
        startInfo.Environment["CUDA_VISIBLE_DEVICES"] = string.Join(',', gpuIndexes);
        startInfo.Environment["DOTNET_gcServer"] = "0";

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var job = new WorkerProcess(process, time);
        process.Start();
        job._exit = job.PumpAsync();
        return job;
    }

    /// <summary>Asks the process to stop (SIGTERM), killing it after <paramref name="grace"/>.</summary>
    public async Task StopAsync(string reason, TimeSpan grace)
    {
        _stopReason ??= reason;

        // Not _process.HasExited: the agent disposes the process once it has exited, and a release can race with that.
        if (_exit.IsCompleted)
        {
            return;
        }

        try
        {
            Signals.Terminate(_process.Id);
            await _exit.WaitAsync(grace, _time);
        }
        catch (TimeoutException)
        {
            Kill();
        }
        catch (InvalidOperationException)
        {
            // Exited and disposed since the check above.
        }
    }

    /// <summary>Kills the process at once.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    public void Dispose()
    {
        // Standard input stays open for the job's life: the job stops when it closes (see WorkerProtocol).
        _process.StandardInput.Dispose();
        _process.Dispose();
    }

    private async Task<JobExit> PumpAsync()
    {
        var stdout = ReadStdoutAsync();
        var stderr = ReadStderrAsync();
        await Task.WhenAll(stdout, stderr);
        await _process.WaitForExitAsync();
        _events.Writer.TryComplete();
        string[] tail;
        lock (_stderrTail)
        {
            tail = [.. _stderrTail];
        }

        return new JobExit(_process.ExitCode, _terminal, _stopReason, tail);
    }

    private async Task ReadStdoutAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            var parsed = WorkerProtocol.TryParse(line);
            if (parsed is TrainingFinished or TrainingFailed)
            {
                _terminal = parsed;
            }

            _events.Writer.TryWrite(parsed ?? new LogWritten("stdout", line));
        }
    }

    private async Task ReadStderrAsync()
    {
        while (await _process.StandardError.ReadLineAsync() is { } line)
        {
            lock (_stderrTail)
            {
                _stderrTail.Enqueue(line);
                if (_stderrTail.Count > StderrTailLines)
                {
                    _stderrTail.Dequeue();
                }
            }

            _events.Writer.TryWrite(new LogWritten("stderr", line));
        }
    }
}
