using GridTrain.Domain.AgentProtocol;
using System.Threading.Channels;
using GridTrain.Domain.Agents;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Sessions;

namespace GridTrain.Domain.Coordination;

public sealed partial class GridCoordinator
{
    /// <summary>When an unconfirmed placement's assignment was last sent again, by session and lease epoch (only touched under the gate).</summary>
    private readonly Dictionary<(string SessionId, long Epoch), DateTimeOffset> _placementResentAt = [];

    /// <summary>
    /// Registers an agent, or re-registers one that restarted or was cut off. Jobs it still runs under a
    /// current lease are kept; the rest are stopped. Jobs the grid believes run there but the agent no
    /// longer has are retried elsewhere.
    /// </summary>
    public Task<AgentRegistration> RegisterAgentAsync(
        string name,
        Inventory inventory,
        string version,
        IReadOnlyList<HeldSessionReport> sessions,
        IReadOnlyList<RunningJobReport> runningJobs,
        CancellationToken cancellationToken)
    {
        var problems = inventory.Validate().ToList();
        if (!AgentNames.IsValid(name))
        {
            problems.Insert(0, $"name: must be {AgentNames.Rule}, got '{(name.Length > 64 ? name[..64] + "…" : name)}'");
        }

        if (version.Length > 64)
        {
            problems.Add($"version: at most 64 characters, got {version.Length}");
        }

        if (problems.Count > 0)
        {
            throw GridException.Invalid(problems);
        }

        return RunAsync(async tx =>
        {
            var existing = (await tx.ListAgentsAsync()).FirstOrDefault(a => a.Name == name);
            var agent = tx.Put(new Agent
            {
                Id = existing?.Id ?? _ids.NewId("agt"),
                Name = name,
                Inventory = inventory,
                Version = version,
                State = AgentState.Ready,
                RegisteredAt = tx.Now,
                LastHeartbeatAt = tx.Now,
                Cordoned = existing?.Cordoned ?? false,
                DrainDeadline = existing?.DrainDeadline,
            });
            _lastSeen[agent.Id] = tx.Now;
            Log.AgentRegistered(_logger, agent.Id, name, existing is not null);

            var running = runningJobs.Select(j => j.JobId).ToHashSet(StringComparer.Ordinal);
            foreach (var session in (await tx.ListSessionsAsync()).Where(s => s.AgentId == agent.Id && s.HoldsResources))
            {
                foreach (var job in (await tx.ListJobsAsync(session.Id)).Where(j => j.State == JobState.Running && !running.Contains(j.Id)))
                {
                    await RetryOrFailAsync(tx, session, job, $"agent {name} restarted without the job's process");
                }
            }

            return new AgentRegistration(agent, await InstructionsAsync(tx, agent.Id, sessions, runningJobs));
        }, cancellationToken);
    }

    /// <summary>Records that an agent is alive; confirms sessions it now holds; says what it must stop.</summary>
    /// <remarks>
    /// Most heartbeats change nothing: they only read, outside the operation gate, so thousands of agents do not
    /// queue behind each other. A heartbeat that confirms a placement (a session in Starting) takes the gate.
    /// </remarks>
    public async Task<AgentInstructions> HeartbeatAsync(string agentId, IReadOnlyList<HeldSessionReport> sessions, IReadOnlyList<RunningJobReport> runningJobs, CancellationToken cancellationToken)
    {
        RequireId(agentId, "agent_id");
        var view = new GridTransaction(_store, _time.GetUtcNow(), cancellationToken);
        var agent = await RequireLiveAgentAsync(view, agentId);
        if (!await ConfirmsPlacementAsync(view, agentId, sessions))
        {
            _lastSeen[agent.Id] = view.Now;
            return await InstructionsAsync(view, agentId, sessions, runningJobs);
        }

        return await RunAsync(async tx =>
        {
            await RequireLiveAgentAsync(tx, agentId);
            _lastSeen[agentId] = tx.Now;
            foreach (var held in sessions)
            {
                if (await tx.FindSessionAsync(held.SessionId) is { State: SessionState.Starting } session
                    && session.AgentId == agentId && session.LeaseEpoch == held.LeaseEpoch)
                {
                    tx.Put(session.MarkReady($"ready on {agent.Name}", tx.Now), session);
                }
            }

            return await InstructionsAsync(tx, agentId, sessions, runningJobs);
        }, cancellationToken);
    }

    private static async ValueTask<bool> ConfirmsPlacementAsync(GridTransaction view, string agentId, IReadOnlyList<HeldSessionReport> sessions)
    {
        foreach (var held in sessions)
        {
            if (await view.FindSessionAsync(held.SessionId) is { State: SessionState.Starting } session
                && session.AgentId == agentId && session.LeaseEpoch == held.LeaseEpoch)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Opens the agent's command stream, replacing any earlier one. Everything the agent should hold or run
    /// is sent first, so a reconnecting agent catches up; it ignores what it already has.
    /// </summary>
    public Task<ChannelReader<AgentDirective>> OpenCommandStreamAsync(string agentId, CancellationToken cancellationToken)
    {
        RequireId(agentId, "agent_id");
        return RunAsync(async tx =>
        {
            await RequireLiveAgentAsync(tx, agentId);
            var stream = Channel.CreateUnbounded<AgentDirective>(new UnboundedChannelOptions { SingleReader = true });
            if (_commandStreams.Remove(agentId, out var previous))
            {
                previous.Writer.TryComplete();
            }

            _commandStreams[agentId] = stream;
            tx.RequestScheduling();
            foreach (var session in (await tx.ListSessionsAsync()).Where(s => s.AgentId == agentId && s.HoldsResources))
            {
                stream.Writer.TryWrite(new AssignSession(session.Id, session.LeaseEpoch, session.GpuIndexes));
                foreach (var job in (await tx.ListJobsAsync(session.Id)).Where(j => j.State == JobState.Running))
                {
                    stream.Writer.TryWrite(ToStartCommand(job, session));
                }
            }

            return stream.Reader;
        }, cancellationToken);
    }

    /// <summary>Closes the agent's command stream if <paramref name="reader"/> is still the current one.</summary>
    public async Task CloseCommandStreamAsync(string agentId, ChannelReader<AgentDirective> reader)
    {
        await _gate.WaitAsync(CancellationToken.None);
        try
        {
            if (_commandStreams.TryGetValue(agentId, out var current) && current.Reader == reader)
            {
                _commandStreams.Remove(agentId);
                current.Writer.TryComplete();
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stores a running job's events. Events the controller already has (a retried report) are skipped.</summary>
    public Task<long> ReportJobEventsAsync(string agentId, string jobId, long leaseEpoch, IReadOnlyList<ReportedEvent> events, CancellationToken cancellationToken)
    {
        RequireId(agentId, "agent_id");
        RequireId(jobId, "job_id");
        return RunAsync(async tx =>
        {
            var (_, job) = await FencedJobAsync(tx, agentId, jobId, leaseEpoch);
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
        RequireId(agentId, "agent_id");
        RequireId(jobId, "job_id");
        if (result.State is not (JobState.Succeeded or JobState.Failed or JobState.Cancelled))
        {
            throw new GridException(GridError.InvalidArgument, $"result.state: must be SUCCEEDED, FAILED or CANCELLED, got {result.State}");
        }

        return RunAsync(async tx =>
        {
            var (session, job) = await FencedJobAsync(tx, agentId, jobId, leaseEpoch);
            if (job.State != JobState.Running)
            {
                return;
            }

            if (session.EvictingReason is { } evicting && result.State != JobState.Succeeded)
            {
                // Stopped for an eviction: the job checkpointed; it resumes when the session does.
                await FinishEvictionAsync(tx, session, evicting);
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
                await FinishEvictionAsync(tx, evictingSession, reason);
            }
        }, cancellationToken);
    }

    /// <summary>
    /// The periodic pass: marks agents silent for longer than the agent timeout as lost and reschedules their sessions,
    /// then applies idle and lifetime eviction.
    /// </summary>
    public Task SweepAsync(CancellationToken cancellationToken) => RunAsync(async tx =>
    {
        await DetectLostAgentsAsync(tx);
        await ResendUnconfirmedPlacementsAsync(tx);
        await ForgetStaleGpuReadingsAsync(tx);
        await EvictAsync(tx);
    }, cancellationToken);

    /// <summary>
    /// A live agent that has not confirmed a placement within the agent timeout never took it (its assignment was lost
    /// with a command stream, or the agent dropped it): the assignment is sent again, once per agent timeout. The agent
    /// treats a repeated assignment as the one it already has.
    /// </summary>
    private async ValueTask ResendUnconfirmedPlacementsAsync(GridTransaction tx)
    {
        foreach (var session in (await tx.ListSessionsAsync()).Where(s => s.State == SessionState.Starting && s.AgentId is not null))
        {
            var waited = tx.Now - session.UpdatedAt;
            var lastSent = _placementResentAt.TryGetValue((session.Id, session.LeaseEpoch), out var resent) ? resent : session.UpdatedAt;
            if (waited < _options.AgentTimeout || tx.Now - lastSent < _options.AgentTimeout || !_commandStreams.ContainsKey(session.AgentId!))
            {
                continue;
            }

            _placementResentAt[(session.Id, session.LeaseEpoch)] = tx.Now;
            Log.PlacementResent(_logger, session.Id, session.AgentId!, session.LeaseEpoch, waited);
            tx.Send(session.AgentId!, new AssignSession(session.Id, session.LeaseEpoch, session.GpuIndexes));
        }

        // Placements confirmed, moved or ended since need no memory.
        foreach (var key in _placementResentAt.Keys)
        {
            if (await tx.FindSessionAsync(key.SessionId) is not { State: SessionState.Starting } current || current.LeaseEpoch != key.Epoch)
            {
                _placementResentAt.Remove(key);
            }
        }
    }

    private async ValueTask DetectLostAgentsAsync(GridTransaction tx)
    {
        foreach (var agent in (await tx.ListAgentsAsync()).Where(a => a.State == AgentState.Ready))
        {
            // After a controller restart every agent gets a full timeout to reconnect.
            var lastSeen = _lastSeen.TryGetValue(agent.Id, out var seen) ? seen : _startedAt;
            if (tx.Now - lastSeen <= _options.AgentTimeout)
            {
                continue;
            }

            Log.AgentLost(_logger, agent.Id, agent.Name, tx.Now - lastSeen);
            tx.Put(agent with { State = AgentState.Lost });
            if (_commandStreams.Remove(agent.Id, out var stream))
            {
                stream.Writer.TryComplete();
            }

            foreach (var session in (await tx.ListSessionsAsync()).Where(s => s.AgentId == agent.Id && s.HoldsResources))
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

    /// <summary>Agents with what they have left.</summary>
    public Task<IReadOnlyList<AgentOverview>> ListAgentsAsync(CancellationToken cancellationToken) =>
        RunReadAsync<IReadOnlyList<AgentOverview>>(async tx =>
        {
            var held = (await tx.ListSessionsAsync()).Where(s => s.HoldsResources && s.AgentId is not null).ToLookup(s => s.AgentId!, StringComparer.Ordinal);
            return (await tx.ListAgentsAsync())
                .OrderBy(a => a.Name, StringComparer.Ordinal)
                .Select(a => View(a, held[a.Id]))
                .ToList();
        }, cancellationToken);

    private async ValueTask RetryOrFailAsync(GridTransaction tx, Session session, Job job, string reason)
    {
        if (job.Attempt < _options.MaxJobAttempts)
        {
            Log.JobRetried(_logger, job.Id, job.Attempt, reason);
            var requeued = tx.AppendEvent(job.Requeue(), new JobStateChanged(JobState.Queued, $"{reason}; retrying (attempt {job.Attempt + 1} of {_options.MaxJobAttempts})"));
            var current = await tx.GetSessionAsync(session.Id);
            if (current.State == SessionState.Busy)
            {
                tx.Put(current.MarkReady($"job {requeued.Id} requeued", tx.Now), current);
            }

            return;
        }

        var failed = FinishJob(tx, session, job, JobResult.Failed($"{reason}; gave up after {job.Attempt} attempts"));
        await AfterJobAsync(tx, session, failed);
    }

    private async ValueTask<AgentInstructions> InstructionsAsync(GridTransaction tx, string agentId, IReadOnlyList<HeldSessionReport> sessions, IReadOnlyList<RunningJobReport> runningJobs)
    {
        var stop = new List<string>();
        foreach (var running in runningJobs)
        {
            var job = await tx.FindJobAsync(running.JobId);
            var session = job is null ? null : await tx.FindSessionAsync(job.SessionId);
            if (job is not { State: JobState.Running } || session?.AgentId != agentId || job.LeaseEpoch != running.LeaseEpoch || session.LeaseEpoch != running.LeaseEpoch)
            {
                stop.Add(running.JobId);
            }
        }

        var release = new List<string>();
        foreach (var held in sessions)
        {
            var session = await tx.FindSessionAsync(held.SessionId);
            if (session is null || !session.HoldsResources || session.AgentId != agentId || session.LeaseEpoch != held.LeaseEpoch)
            {
                release.Add(held.SessionId);
            }
            else
            {
                NoteGpuUtilization(held, tx.Now);
            }
        }

        return new AgentInstructions(stop, release);
    }

    private async ValueTask<Agents.Agent> RequireLiveAgentAsync(GridTransaction tx, string agentId)
    {
        var agent = await tx.FindAgentAsync(agentId) ?? throw GridException.NotFound("agent", agentId);
        if (agent.State == AgentState.Lost)
        {
            throw new GridException(GridError.NotFound, $"agent '{agentId}' was declared lost; register again");
        }

        return agent;
    }

    /// <summary>The job and its session, if the report comes from the agent holding the session's current lease.</summary>
    private async ValueTask<(Session Session, Job Job)> FencedJobAsync(GridTransaction tx, string agentId, string jobId, long leaseEpoch)
    {
        await RequireLiveAgentAsync(tx, agentId);
        var job = await tx.GetJobAsync(jobId);
        var session = await tx.GetSessionAsync(job.SessionId);
        if (job.IsFinished)
        {
            return (session, job);
        }

        if (session.AgentId != agentId || session.LeaseEpoch != leaseEpoch || job.LeaseEpoch != leaseEpoch)
        {
            throw new GridException(GridError.FailedPrecondition, $"stale lease: job {jobId} runs under epoch {job.LeaseEpoch} on {session.AgentId ?? "no agent"}, report carried epoch {leaseEpoch} from {agentId}; stop the job");
        }

        return (session, job);
    }
}
