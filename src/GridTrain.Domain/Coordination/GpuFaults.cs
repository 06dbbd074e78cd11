using System.Collections.Concurrent;
using GridTrain.Domain.Agents;
using GridTrain.Domain.Agents.Health;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Sessions;
using GridTrain.Domain.Telemetry;
using Microsoft.Extensions.Logging;

namespace GridTrain.Domain.Coordination;

/// <summary>
/// The health of every agent's GPUs, as the agents last reported it (kept in memory: each heartbeat reports it again),
/// and the coordinator's answer to a GPU taken out of service: the GPU leaves the schedulable inventory, and a session
/// holding it moves (its job checkpoints and stops, then resumes elsewhere) without the attempt counting against the
/// job's maximum. A job whose GPUs fault on <see cref="FaultyGpusBeforeBlamingJob"/> different GPUs is failed instead:
/// hardware does not fail that often, the job is the likelier cause.
/// </summary>
internal sealed class GpuFaults(Evictions evictions, ILogger logger)
{
    /// <summary>Different GPUs that must fault under one job before the job, not the hardware, is blamed.</summary>
    public const int FaultyGpusBeforeBlamingJob = 3;

    private readonly ConcurrentDictionary<string, IReadOnlyList<GpuHealth>> _health = new(StringComparer.Ordinal);
    private long _version;

    /// <summary>Changes whenever a GPU goes out of service or comes back: what <see cref="Unhealthy"/> answers may have changed.</summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>The agent's GPUs as last reported; empty before it reported any.</summary>
    public IReadOnlyList<GpuHealth> Of(string agentId) => _health.TryGetValue(agentId, out var health) ? health : [];

    /// <summary>Indexes of the agent's GPUs out of service.</summary>
    public IReadOnlySet<int> Unhealthy(string agentId) => Of(agentId).Where(g => !g.Healthy).Select(g => g.Index).ToHashSet();

    /// <summary>Records the agent's report (null: the agent did not report health); true when a GPU came back into service.</summary>
    public bool Note(string agentId, IReadOnlyList<GpuHealth>? report)
    {
        // Agents report the same health in heartbeat after heartbeat: nothing to record, and nothing allocated.
        if (report is null || SameAsKept(agentId, report))
        {
            return false;
        }

        var before = Unhealthy(agentId);
        _health[agentId] = [.. report.OrderBy(g => g.Index)];
        foreach (var gpu in report.Where(g => !g.Healthy && !before.Contains(g.Index)))
        {
            CoordinatorLog.GpuOutOfService(logger, agentId, gpu.Index, gpu.Reason);
        }

        var after = Unhealthy(agentId);
        if (!before.SetEquals(after))
        {
            Interlocked.Increment(ref _version);
        }

        return before.Except(after).Any();
    }

    private bool SameAsKept(string agentId, IReadOnlyList<GpuHealth> report)
    {
        var kept = Of(agentId);
        if (kept.Count != report.Count)
        {
            return false;
        }

        // Kept in index order; a report is compared in its own order, so one out of order is simply recorded again.
        for (var i = 0; i < report.Count; i++)
        {
            if (!report[i].Equals(kept[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether any of the agent's GPUs is out of service, without building the set.</summary>
    private bool AnyUnhealthy(string agentId)
    {
        foreach (var gpu in Of(agentId))
        {
            if (!gpu.Healthy)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Marks the GPU healthy until the agent next reports (an admin readmitted it).</summary>
    public void Readmit(string agentId, int index)
    {
        _health.AddOrUpdate(agentId, _ => [], (_, gpus) => [.. gpus.Select(g => g.Index == index ? GpuHealth.Ok(g.Index, g.Uuid) : g)]);
        Interlocked.Increment(ref _version);
    }

    /// <summary>
    /// A job's process failed and its agent found one of the job's GPUs faulty right after, before any heartbeat said
    /// so: the GPU is out of service from now (the session must not land on it again), the job is requeued with the
    /// attempt not charged and its session moves, unless this is the job's third different faulty GPU: then
    /// <paramref name="failJob"/> ends it, saying why.
    /// </summary>
    public async ValueTask FailedOnAsync(GridTransaction tx, Session session, Job job, GpuHealth fault, Func<Session, Job, JobResult, ValueTask> failJob)
    {
        if (session.AgentId is { } agentId)
        {
            _health.AddOrUpdate(agentId, _ => [fault], (_, gpus) => [.. gpus.Where(g => g.Index != fault.Index).Append(fault).OrderBy(g => g.Index)]);
            Interlocked.Increment(ref _version);
            CoordinatorLog.GpuOutOfService(logger, agentId, fault.Index, fault.Reason);
        }

        var faulted = tx.Put(job.GpuFaulted(fault.Reason));
        if (faulted.FaultyGpuCount >= FaultyGpusBeforeBlamingJob)
        {
            CoordinatorLog.JobBlamedForGpuFaults(logger, job.Id, faulted.FaultyGpuCount);
            await failJob(session, faulted, JobResult.Failed(Blamed(fault.Reason, faulted)));
        }
        else
        {
            CoordinatorLog.GpuFaultMovesSession(logger, session.Id, job.Id, fault.Reason);
            tx.AppendEvent(faulted.Requeue(), new JobStateChanged(JobState.Queued, $"infrastructure failure {fault.Reason}: the job's process failed on a faulty GPU; resumes from {job.LatestCheckpoint ?? "the start"} on another GPU, the attempt not charged"));
        }

        var current = await tx.GetSessionAsync(session.Id);
        if (current.HoldsResources && current.EvictingReason is null)
        {
            await evictions.BeginAsync(tx, current, EvictionCause.GpuFault, $"GPU out of service: infrastructure failure {fault.Reason}", moves: true);
        }
    }

    /// <summary>Sessions on the agent holding a GPU out of service that are not moving yet.</summary>
    public async ValueTask<IReadOnlyList<Session>> StrandedAsync(GridTransaction tx, string agentId)
    {
        if (!AnyUnhealthy(agentId))
        {
            return [];
        }

        var unhealthy = Unhealthy(agentId);

        return [.. (await tx.ListHeldSessionsAsync(agentId)).Where(s => s.EvictingReason is null && s.GpuIndexes.Any(unhealthy.Contains))];
    }

    /// <summary>
    /// Moves every session stranded on a GPU out of service. Its running job is charged nothing for the attempt, unless
    /// this is the job's third different faulty GPU: then <paramref name="failJob"/> ends it, saying why.
    /// </summary>
    public async ValueTask MoveStrandedAsync(GridTransaction tx, Agent agent, Func<Session, Job, JobResult, ValueTask> failJob)
    {
        var health = Of(agent.Id).ToDictionary(g => g.Index);
        foreach (var session in await StrandedAsync(tx, agent.Id))
        {
            var fault = session.GpuIndexes.Select(i => health.GetValueOrDefault(i)).First(g => g is { Healthy: false })!;
            var reason = fault.Reason;
            var blamed = false;
            if ((await tx.ListJobsAsync(session.Id)).FirstOrDefault(j => j.State == JobState.Running) is { } job)
            {
                var faulted = tx.Put(job.GpuFaulted(reason));
                if (faulted.FaultyGpuCount >= FaultyGpusBeforeBlamingJob)
                {
                    CoordinatorLog.JobBlamedForGpuFaults(logger, job.Id, faulted.FaultyGpuCount);
                    blamed = true;
                    await failJob(session, faulted, JobResult.Failed(Blamed(reason, faulted)));
                }
                else
                {
                    CoordinatorLog.GpuFaultMovesSession(logger, session.Id, job.Id, reason);
                }
            }

            var current = await tx.GetSessionAsync(session.Id);
            if (current.HoldsResources && current.EvictingReason is null)
            {
                // The same words as when the job's own result names the fault first: which report arrives first is a race.
                await evictions.BeginAsync(tx, current, EvictionCause.GpuFault, $"GPU out of service: infrastructure failure {reason}{(blamed ? "" : "; the attempt not charged")}", moves: true);
            }
        }
    }

    private static string Blamed(string reason, Job faulted) =>
        $"infrastructure failure {reason}; GPUs faulted under this job on {faulted.FaultyGpuCount} different GPUs ({string.Join(", ", faulted.GpuFaults)}): the job, not the hardware, is the likely cause; not retried";
}
