using System.Threading.Channels;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Agents;
using GridTrain.Domain.Agents.Health;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Quotas;
using GridTrain.Domain.Scheduling;
using GridTrain.Domain.Sessions;
using GridTrain.Domain.Telemetry;

namespace GridTrain.Domain.Coordination;

/// <summary>The agent protocol: registration, heartbeats, directive streams, reports, and the periodic liveness sweep.</summary>
public sealed partial class GridCoordinator
{
    /// <summary>
    /// Registers an agent, or re-registers one that restarted or was cut off. Jobs it still runs under a
    /// current lease are kept; the rest are stopped. Jobs the grid believes run there but the agent no
    /// longer has are retried elsewhere. GPUs <paramref name="gpuHealth"/> lists out of service take no sessions.
    /// A registration repeated by the same run of the agent (<paramref name="instance"/>: its answer was lost, it
    /// reconnected) is no restart: a running job it does not list was never delivered to it, and goes out again with
    /// the command stream's catch-up instead of being retried.
    /// </summary>
    public Task<AgentRegistration> RegisterAgentAsync(
        string name,
        Inventory inventory,
        string version,
        IReadOnlyList<HeldSessionReport> sessions,
        IReadOnlyList<RunningJobReport> runningJobs,
        CancellationToken cancellationToken,
        IReadOnlyList<GpuHealth>? gpuHealth = null,
        string instance = "")
    {
        GridRequests.ValidateRegistration(name, inventory, version);
        GridRequests.ValidateGpuHealth(gpuHealth);
        return _runner.RunAsync(async tx =>
        {
            var existing = await tx.FindAgentByNameAsync(name);
            var agent = tx.Put(new Agent
            {
                Id = existing?.Id ?? _ids.NewId("agt"),
                Name = name,
                Inventory = inventory,
                Version = version,
                Instance = instance,
                State = AgentState.Ready,
                RegisteredAt = tx.Now,
                LastHeartbeatAt = tx.Now,
                Cordoned = existing?.Cordoned ?? false,
                DrainDeadline = existing?.DrainDeadline,
            });
            _liveness.Seen(agent.Id, tx.Now);
            _gpuFaults.Note(agent.Id, gpuHealth);
            CoordinatorLog.AgentRegistered(_logger, agent.Id, name, existing is not null);
            await EpochReconciliation.ReconcileAsync(_logger, tx, agent, sessions, runningJobs, (session, job, reason) => RetryOrFailAsync(tx, session, job, reason));

            var running = runningJobs.Select(j => j.JobId).ToHashSet(StringComparer.Ordinal);
            var sameRun = instance.Length > 0 && existing?.Instance == instance;
            foreach (var session in await tx.ListHeldSessionsAsync(agent.Id))
            {
                foreach (var job in (await tx.ListJobsAsync(session.Id)).Where(j => j.State == JobState.Running && !running.Contains(j.Id)))
                {
                    if (sameRun)
                    {
                        CoordinatorLog.JobStartResent(_logger, job.Id, agent.Id);
                        continue;
                    }

                    await RetryOrFailAsync(tx, session, job, $"agent {name} restarted without the job's process");
                }
            }

            await _gpuFaults.MoveStrandedAsync(tx, agent, (s, j, r) => FailJobAsync(tx, s, j, r));

            return new AgentRegistration(agent, await InstructionsAsync(tx, agent.Id, sessions, runningJobs));
        }, cancellationToken);
    }

    /// <summary>Records that an agent is alive and its GPUs' health; confirms sessions it now holds; says what it must stop.</summary>
    /// <remarks>
    /// Heartbeats answer without queueing for the operation gate, so thousands of agents do not wait behind each other or
    /// behind users' writes. Most change nothing and only read. One that confirms a placement (a session in Starting)
    /// posts the confirmation to the gate and answers at once: the agent repeats it in every heartbeat until it commits.
    /// Only one that takes a GPU out of service under a session, or brings one back, waits for the gate.
    /// </remarks>
    public async Task<AgentInstructions> HeartbeatAsync(string agentId, IReadOnlyList<HeldSessionReport> sessions, IReadOnlyList<RunningJobReport> runningJobs, CancellationToken cancellationToken, IReadOnlyList<GpuHealth>? gpuHealth = null)
    {
        GridRequests.RequireId(agentId, "agent_id");
        GridRequests.ValidateGpuHealth(gpuHealth);
        var view = _runner.View(cancellationToken);
        var agent = await LeaseFencing.RequireLiveAgentAsync(view, agentId);
        var readmitted = _gpuFaults.Note(agentId, gpuHealth);
        if (readmitted || (await _gpuFaults.StrandedAsync(view, agentId)).Count > 0)
        {
            return await _runner.RunAsync(async tx =>
            {
                await LeaseFencing.ConfirmPlacementsAsync(tx, agent, sessions);
                _liveness.Seen(agentId, tx.Now);
                await _gpuFaults.MoveStrandedAsync(tx, agent, (s, j, r) => FailJobAsync(tx, s, j, r));
                if (readmitted)
                {
                    tx.RequestScheduling();
                }

                return await InstructionsAsync(tx, agentId, sessions, runningJobs);
            }, cancellationToken);
        }

        _liveness.Seen(agent.Id, view.Now);
        if ((await LeaseFencing.ConfirmedByAsync(view, agentId, sessions)).Count > 0)
        {
            await _runner.PostAsync(tx => LeaseFencing.ConfirmPlacementsAsync(tx, agent, sessions), ex => CoordinatorLog.ConfirmationNotCommitted(_logger, agentId, ex));
        }

        return await InstructionsAsync(view, agentId, sessions, runningJobs);
    }

    /// <summary>
    /// Opens the agent's directive stream, replacing any earlier one. Everything the agent should hold or run
    /// is sent first, so a reconnecting agent catches up; it ignores what it already has.
    /// </summary>
    public Task<ChannelReader<AgentDirective>> OpenCommandStreamAsync(string agentId, CancellationToken cancellationToken)
    {
        GridRequests.RequireId(agentId, "agent_id");
        return _runner.RunAsync(async tx =>
        {
            await LeaseFencing.RequireLiveAgentAsync(tx, agentId);
            var catchUp = new List<AgentDirective>();
            foreach (var session in await tx.ListHeldSessionsAsync(agentId))
            {
                catchUp.Add(new AssignSession(session.Id, session.LeaseEpoch, session.GpuIndexes));
                catchUp.AddRange((await tx.ListJobsAsync(session.Id)).Where(j => j.State == JobState.Running).Select(job => ToStartDirective(job, session)));
            }

            tx.RequestScheduling();
            return _directives.Open(agentId, [.. catchUp, new SyncComplete()]);
        }, cancellationToken);
    }

    /// <summary>Closes the agent's directive stream if <paramref name="reader"/> is still the current one.</summary>
    public void CloseCommandStream(string agentId, ChannelReader<AgentDirective> reader) => _directives.Close(agentId, reader);

    /// <summary>Stores a running job's events. Events the controller already has (a retried report) are skipped.</summary>
    public Task<long> ReportJobEventsAsync(string agentId, string jobId, long leaseEpoch, IReadOnlyList<ReportedEvent> events, CancellationToken cancellationToken)
    {
        GridRequests.RequireId(agentId, "agent_id");
        GridRequests.RequireId(jobId, "job_id");
        return _runner.RunAsync(async tx =>
        {
            var (_, job) = await LeaseFencing.FencedJobAsync(tx, agentId, jobId, leaseEpoch);
            if (job.State != JobState.Running)
            {
                return job.AgentSequence;
            }

            foreach (var reported in events.Where(e => e.AgentSequence > job.AgentSequence).OrderBy(e => e.AgentSequence))
            {
                job = reported.Data switch
                {
                    ProgressReported progress => job with { Progress = progress, LastProgressAt = tx.Now },
                    CheckpointWritten checkpoint => job with { LatestCheckpoint = checkpoint.Uri, LatestCheckpointStep = checkpoint.Step, LatestCheckpointAt = tx.Now },
                    EpochEvaluated epoch => job with { TestAccuracy = epoch.TestAccuracy },
                    _ => job,
                };
                job = tx.AppendEvent(job with { AgentSequence = reported.AgentSequence }, reported.Data);
            }

            return job.AgentSequence;
        }, cancellationToken);
    }

    /// <summary>
    /// Records a job's outcome. An infrastructure failure is retried (from the latest checkpoint) until
    /// <see cref="GridOptions.MaxJobAttempts"/>; anything else is final. Reporting again changes nothing.
    /// </summary>
    public Task ReportJobResultAsync(string agentId, string jobId, long leaseEpoch, JobResult result, CancellationToken cancellationToken)
    {
        GridRequests.RequireId(agentId, "agent_id");
        GridRequests.RequireId(jobId, "job_id");
        GridRequests.ValidateResult(result);
        return _runner.RunAsync(async tx =>
        {
            var (session, job) = await LeaseFencing.FencedJobAsync(tx, agentId, jobId, leaseEpoch);
            if (job.State != JobState.Running)
            {
                return;
            }

            if (session.EvictingReason is { } evicting && result.State != JobState.Succeeded)
            {
                // Stopped for an eviction: the job checkpointed; it resumes when the session does.
                await _evictions.FinishAsync(tx, session, evicting);
                return;
            }

            if (result is { State: JobState.Failed, GpuFault: { Healthy: false } fault })
            {
                await _gpuFaults.FailedOnAsync(tx, session, job, fault, (s, j, r) => FailJobAsync(tx, s, j, r));
                return;
            }

            if (result.State == JobState.Failed && result.Retryable)
            {
                await RetryOrFailAsync(tx, session, job, result.Reason);
                return;
            }

            await AfterJobAsync(tx, session, FinishJob(tx, session, job, result));
            if ((await tx.GetSessionAsync(session.Id)) is { EvictingReason: { } reason, HoldsResources: true } evictingSession)
            {
                await _evictions.FinishAsync(tx, evictingSession, reason);
            }
        }, cancellationToken);
    }

    /// <summary>
    /// The periodic pass: marks agents silent for longer than the agent timeout as lost and reschedules their sessions,
    /// sends unconfirmed placements again, then applies idle and lifetime eviction.
    /// </summary>
    public Task SweepAsync(CancellationToken cancellationToken) => _runner.RunAsync(async tx =>
    {
        await DetectLostAgentsAsync(tx);
        await _resends.ResendDueAsync(tx, _directives, _logger);
        await _activity.ForgetStaleGpuReadingsAsync(tx);
        await _evictions.SweepAsync(tx);
        if (QuotaPolicy.WaitsForTheWindow(_options.Quota, await tx.ListSessionsInStateAsync(SessionState.Pending)))
        {
            tx.RequestScheduling();
        }
    }, cancellationToken);

    private async ValueTask DetectLostAgentsAsync(GridTransaction tx)
    {
        foreach (var agent in (await tx.ListAgentsAsync()).Where(a => a.State == AgentState.Ready))
        {
            if (_liveness.SilenceBeyondTimeout(agent.Id, tx.Now) is not { } silence)
            {
                continue;
            }

            CoordinatorLog.AgentLost(_logger, agent.Id, agent.Name, silence);
            tx.Put(agent with { State = AgentState.Lost });
            _directives.Drop(agent.Id);
            foreach (var session in await tx.ListHeldSessionsAsync(agent.Id))
            {
                foreach (var job in (await tx.ListJobsAsync(session.Id)).Where(j => j.State == JobState.Running))
                {
                    await RetryOrFailAsync(tx, session, job, $"agent {agent.Name} lost");
                }

                var current = await tx.GetSessionAsync(session.Id);
                if (current.HoldsResources)
                {
                    tx.Put(current.Requeue($"agent {agent.Name} lost; waiting for another agent", tx.Now), current);
                    tx.Measure(instruments => instruments.LeaseExpired());
                }
            }
        }
    }

    private async ValueTask<AgentInstructions> InstructionsAsync(GridTransaction tx, string agentId, IReadOnlyList<HeldSessionReport> sessions, IReadOnlyList<RunningJobReport> runningJobs)
    {
        List<string>? stop = null;
        foreach (var running in runningJobs)
        {
            var job = await tx.FindJobAsync(running.JobId);
            var session = job is null ? null : await tx.FindSessionAsync(job.SessionId);
            if (job is not { State: JobState.Running } || session?.AgentId != agentId || job.LeaseEpoch != running.LeaseEpoch || session.LeaseEpoch != running.LeaseEpoch)
            {
                (stop ??= []).Add(running.JobId);
            }
        }

        List<string>? release = null;
        foreach (var held in sessions)
        {
            var session = await tx.FindSessionAsync(held.SessionId);
            if (session is null || !session.HoldsResources || session.AgentId != agentId || session.LeaseEpoch != held.LeaseEpoch)
            {
                (release ??= []).Add(held.SessionId);
            }
            else
            {
                _activity.NoteGpuUtilization(held.SessionId, held.LeaseEpoch, held.GpuUtilization, tx.Now);
            }
        }

        // Nearly every heartbeat is answered with nothing to do: one shared answer, not two empty lists a time.
        return stop is null && release is null ? AgentInstructions.None : new AgentInstructions(stop ?? [], release ?? []);
    }
}
