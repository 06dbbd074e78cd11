using System.Collections.Concurrent;
using System.Threading.Channels;
using GridTrain.Agent.Jobs;
using GridTrain.Domain.Jobs;
using GridTrain.Protos.V1;

namespace GridTrain.Agent.Connection;

public sealed partial class GridAgent
{
    private sealed class RunningJob(string jobId, string sessionId, long leaseEpoch, int attempt, JobProcess process, CommittedCheckpoints checkpoints)
    {
        private int _pending = 1;

        public CommittedCheckpoints Checkpoints { get; } = checkpoints;

        public string JobId { get; } = jobId;

        public string SessionId { get; } = sessionId;

        public long LeaseEpoch { get; } = leaseEpoch;

        public int Attempt { get; } = attempt;

        public JobProcess Process { get; } = process;

        public Task Reporting { get; set; } = Task.CompletedTask;

        /// <summary>The newest progress the job process reported; null before its first report.</summary>
        public ProgressReported? LatestProgress { get; set; }

        /// <summary>Events to report: the process's, and checkpoints once stored. Completes when both are done.</summary>
        public Channel<Outgoing> Outgoing { get; } = Channel.CreateUnbounded<Outgoing>();

        /// <summary>Store URIs of uploaded checkpoints, by spool path.</summary>
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

    /// <summary>
    /// An attempt not started yet: waiting for the previous attempt's process to exit, or for its downloads. A stop
    /// that arrives meanwhile is remembered.
    /// </summary>
    private sealed class PendingStart(StartJob start)
    {
        private string? _stopReason;

        public StartJob Start { get; } = start;

        public string? StopReason => Volatile.Read(ref _stopReason);

        public void Stop(string reason) => Interlocked.CompareExchange(ref _stopReason, reason, null);
    }
}
