using System.Threading.Channels;
using GridTrain.Agent.Jobs.Processes;
using GridTrain.Domain.Jobs;

namespace GridTrain.Agent.Tests.Fakes;

/// <summary>Starts <see cref="ScriptedProcess"/>es instead of job processes, and lets the test see each one started.</summary>
internal sealed class ScriptedJobs(TimeProvider time) : IJobLauncher
{
    private int _nextId = 1000;

    public Channel<ScriptedProcess> Started { get; } = Channel.CreateUnbounded<ScriptedProcess>();

    /// <summary>Whether a process exits as soon as it is asked to stop; when false, the test ends it.</summary>
    public bool ExitOnStop { get; set; } = true;

    public IJobProcess Start(JobLaunch launch)
    {
        var process = new ScriptedProcess(launch, Interlocked.Increment(ref _nextId), ExitOnStop, time);
        Started.Writer.TryWrite(process);
        return process;
    }
}

/// <summary>A job process the test drives: it emits what the test says and exits when told, or when stopped (killed once the stop grace is up).</summary>
internal sealed class ScriptedProcess(JobLaunch launch, int processId, bool exitOnStop, TimeProvider time) : IJobProcess
{
    private readonly Channel<TrainingEvent> _events = Channel.CreateUnbounded<TrainingEvent>();
    private readonly TaskCompletionSource<JobExit> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string> _stopRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public JobLaunch Launch { get; } = launch;

    public int ProcessId { get; } = processId;

    public ChannelReader<TrainingEvent> Events => _events.Reader;

    public Task<JobExit> Exited => _exit.Task;

    /// <summary>Completes with the reason when the agent first asks the process to stop.</summary>
    public Task<string> StopRequested => _stopRequested.Task;

    public bool Killed { get; private set; }

    public void Emit(TrainingEvent data) => _events.Writer.TryWrite(data);

    /// <summary>Ends the process with <paramref name="exitCode"/>, its output complete.</summary>
    public void Exit(int exitCode, TrainingEvent? terminal = null, string? stopReason = null)
    {
        _events.Writer.TryComplete();
        _exit.TrySetResult(new JobExit(exitCode, terminal, stopReason ?? (_stopRequested.Task.IsCompleted ? _stopRequested.Task.Result : null), []));
    }

    public async Task StopAsync(string reason, TimeSpan grace)
    {
        _stopRequested.TrySetResult(reason);
        if (exitOnStop)
        {
            Exit(143, stopReason: reason);
        }

        try
        {
            await _exit.Task.WaitAsync(grace, time);
        }
        catch (TimeoutException)
        {
            Kill();
        }
    }

    public void Kill()
    {
        Killed = true;
        Exit(137);
    }

    public void Dispose()
    {
    }
}
