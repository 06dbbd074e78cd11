using System.Threading.Channels;
using GridTrain.Domain.Jobs;

namespace GridTrain.Agent.Jobs.Processes;

/// <summary>A job attempt's running process, as the agent sees it: its events, its exit, and a way to stop it.</summary>
public interface IJobProcess : IDisposable
{
    /// <summary>The operating system's process id (for diagnostics).</summary>
    int ProcessId { get; }

    /// <summary>What the process reports, in order; completes when its output ends.</summary>
    ChannelReader<TrainingEvent> Events { get; }

    /// <summary>Completes when the process has exited and its output is fully read.</summary>
    Task<JobExit> Exited { get; }

    /// <summary>Asks the process to stop, killing it after <paramref name="grace"/>; completes once it has exited.</summary>
    Task StopAsync(string reason, TimeSpan grace);

    /// <summary>Kills the process at once.</summary>
    void Kill();
}
