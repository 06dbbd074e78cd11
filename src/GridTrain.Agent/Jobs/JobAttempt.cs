using System.Collections.Concurrent;
using System.Threading.Channels;
using GridTrain.Agent.Jobs.Processes;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.Domain.Jobs;

namespace GridTrain.Agent.Jobs;

/// <summary>
/// One attempt of a job running on this agent: its process, the lease it runs under, and its outgoing events (the
/// process's, and checkpoints once stored), which complete once the process's output and every upload are done.
/// </summary>
internal sealed class JobAttempt(StartJob start, IJobProcess process, CommittedCheckpoints checkpoints)
{
    private int _pending = 1;

    public StartJob Start { get; } = start;

    public string JobId => Start.JobId;

    public string SessionId => Start.SessionId;

    public long LeaseEpoch => Start.LeaseEpoch;

    public int Attempt => Start.Attempt;

    public IJobProcess Process { get; } = process;

    public CommittedCheckpoints Checkpoints { get; } = checkpoints;

    /// <summary>Completes once the attempt's result is reported (or saved for later) and its process disposed.</summary>
    public Task Reporting { get; set; } = Task.CompletedTask;

    /// <summary>The newest progress the job process reported; null before its first report.</summary>
    public ProgressReported? LatestProgress { get; set; }

    /// <summary>Events to report: the process's, and checkpoints once stored. Completes when both are done.</summary>
    public Channel<OutgoingEvent> Outgoing { get; } = Channel.CreateUnbounded<OutgoingEvent>();

    /// <summary>Store URIs by local path: of uploaded checkpoints (by spool path), and of the stored checkpoint fetched to resume from.</summary>
    public ConcurrentDictionary<string, string> Stored { get; } = new(StringComparer.Ordinal);

    /// <summary>One retention pass at a time.</summary>
    public SemaphoreSlim Retention { get; } = new(1, 1);

    public void BeginUpload() => Interlocked.Increment(ref _pending);

    public void EndPending()
    {
        if (Interlocked.Decrement(ref _pending) == 0)
        {
            Outgoing.Writer.TryComplete();
        }
    }
}

/// <summary>An event to report, with the local file of a checkpoint whose reported URI is its stored copy.</summary>
internal sealed record OutgoingEvent(TrainingEvent Data, string? LocalPath);
