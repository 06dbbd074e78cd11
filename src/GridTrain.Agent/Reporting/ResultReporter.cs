using GridTrain.Agent.Connection;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.Domain.Jobs;
using Microsoft.Extensions.Logging;

namespace GridTrain.Agent.Reporting;

/// <summary>
/// Delivers job attempts' results. A report waits out controller outages until the agent's shutdown grace ends; what
/// is still unsaid then is saved (<see cref="UnreportedStore"/>) and said after the next registration.
/// </summary>
internal sealed partial class ResultReporter(IControllerLink link, UnreportedStore store, ILogger<ResultReporter> logger)
{
    private readonly SemaphoreSlim _replaying = new(1, 1);

    /// <summary>Reports the result; when <paramref name="shutdown"/> ends the wait, saves it (with <paramref name="unsent"/> events first).</summary>
    public async Task ReportAsync(string jobId, long leaseEpoch, JobResult result, CancellationToken shutdown, IReadOnlyList<ReportedEvent>? unsent = null)
    {
        try
        {
            if (await link.ReportResultAsync(jobId, leaseEpoch, result, shutdown) == ReportOutcome.Committed)
            {
                LogJobFinished(logger, jobId, result.State, result.Reason);
            }
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            Save(new UnreportedAttempt(jobId, leaseEpoch, unsent ?? [], result));
        }
    }

    /// <summary>Keeps what could not be reported for the next registration.</summary>
    public void Save(UnreportedAttempt attempt)
    {
        try
        {
            store.Save(attempt);
            LogSaved(logger, attempt.JobId, attempt.LeaseEpoch, attempt.Events.Count, attempt.Result?.State.ToString() ?? "not known");
        }
        catch (IOException ex)
        {
            LogSaveFailed(logger, attempt.JobId, ex);
        }
    }

    /// <summary>Says what an earlier run of the agent could not (one replay at a time; a refused one is dropped).</summary>
    public async Task ReplayAsync(CancellationToken cancellationToken)
    {
        if (!await _replaying.WaitAsync(TimeSpan.Zero, cancellationToken))
        {
            return;
        }

        try
        {
            foreach (var attempt in store.Load())
            {
                var outcome = attempt.Events.Count > 0
                    ? await link.ReportEventsAsync(attempt.JobId, attempt.LeaseEpoch, attempt.Events, cancellationToken)
                    : ReportOutcome.Committed;
                if (outcome == ReportOutcome.Committed && attempt.Result is { } result)
                {
                    outcome = await link.ReportResultAsync(attempt.JobId, attempt.LeaseEpoch, result, cancellationToken);
                }

                store.Delete(attempt);
                LogReplayed(logger, attempt.JobId, attempt.LeaseEpoch, outcome);
            }
        }
        finally
        {
            _replaying.Release();
        }
    }

    [LoggerMessage(5, LogLevel.Information, "Job {JobId} finished {State}: {Reason}", EventName = "JobFinished")]
    private static partial void LogJobFinished(ILogger logger, string jobId, JobState state, string reason);

    [LoggerMessage(30, LogLevel.Warning, "Controller unreachable at shutdown: saved job {JobId} (lease {LeaseEpoch}): {Events} events, result {Result}, to report after the next registration", EventName = "UnreportedSaved")]
    private static partial void LogSaved(ILogger logger, string jobId, long leaseEpoch, int events, string result);

    [LoggerMessage(31, LogLevel.Error, "Could not save the unreported result of job {JobId}", EventName = "UnreportedSaveFailed")]
    private static partial void LogSaveFailed(ILogger logger, string jobId, Exception exception);

    [LoggerMessage(32, LogLevel.Information, "Reported job {JobId} (lease {LeaseEpoch}) left unreported by an earlier run: {Outcome}", EventName = "UnreportedReplayed")]
    private static partial void LogReplayed(ILogger logger, string jobId, long leaseEpoch, ReportOutcome outcome);
}
