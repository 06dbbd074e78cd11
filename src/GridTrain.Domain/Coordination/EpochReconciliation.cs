using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Agents;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Sessions;
using Microsoft.Extensions.Logging;

namespace GridTrain.Domain.Coordination;

/// <summary>
/// Lease epochs never repeat, even when the store forgot its last commits: SQLite in WAL mode with
/// <c>synchronous=NORMAL</c> may lose the newest transactions on power loss, among them placements whose epochs the
/// agents already hold. Agents list the leases they hold when they register; a lease newer than the store's record is
/// the later truth. Held by the same agent, the store adopts it (session and running jobs); held against a record that
/// places the session elsewhere, the session is taken back from both and placed again above the agent's epoch.
/// Either way the next epoch issued is above every epoch an agent has seen.
/// </summary>
internal static class EpochReconciliation
{
    /// <summary>Brings the store's epochs up to what <paramref name="agent"/> holds; returns how many leases were newer than the store.</summary>
    public static async ValueTask<int> ReconcileAsync(
        ILogger logger,
        GridTransaction tx,
        Agent agent,
        IReadOnlyList<HeldSessionReport> held,
        IReadOnlyList<RunningJobReport> running,
        Func<Session, Job, string, ValueTask> retryOrFail)
    {
        var newer = 0;
        foreach (var lease in held)
        {
            if (await tx.FindSessionAsync(lease.SessionId) is not { } session || lease.LeaseEpoch <= session.LeaseEpoch)
            {
                continue;
            }

            newer++;
            CoordinatorLog.EpochAheadOfStore(logger, session.Id, agent.Name, lease.LeaseEpoch, session.LeaseEpoch);
            var reason = $"the store had lease epoch {session.LeaseEpoch} of {session.Id} but agent {agent.Name} holds epoch {lease.LeaseEpoch} (the store lost its last commits)";
            if (session.AgentId == agent.Id && session.HoldsResources)
            {
                tx.Put(session.RaiseEpoch(lease.LeaseEpoch), session);
                foreach (var report in running.Where(r => r.LeaseEpoch == lease.LeaseEpoch))
                {
                    if (await tx.FindJobAsync(report.JobId) is { State: JobState.Running } job && job.SessionId == session.Id && job.LeaseEpoch < report.LeaseEpoch)
                    {
                        tx.Put(job with { LeaseEpoch = report.LeaseEpoch });
                    }
                }

                continue;
            }

            if (session.HoldsResources)
            {
                foreach (var job in (await tx.ListJobsAsync(session.Id)).Where(j => j.State == JobState.Running))
                {
                    await retryOrFail(session, job, reason);
                }

                tx.Send(session.AgentId!, new ReleaseSession(session.Id, reason));
                session = await tx.GetSessionAsync(session.Id);
                tx.Put(session.Requeue($"{reason}; placing it again", tx.Now).RaiseEpoch(lease.LeaseEpoch), session);
                continue;
            }

            tx.Put(session.RaiseEpoch(lease.LeaseEpoch), session);
        }

        return newer;
    }
}
