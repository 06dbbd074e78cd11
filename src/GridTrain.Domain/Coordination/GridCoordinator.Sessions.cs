using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Sessions;

namespace GridTrain.Domain.Coordination;

public sealed partial class GridCoordinator
{
    private const int MaxPriority = 1000;

    /// <summary>Owner of sessions created without a user (until authentication names one).</summary>
    public const string DefaultOwner = "local";
    private const int MaxDisplayName = 128;

    /// <summary>
    /// Creates a session and queues it for placement. Unset timeouts take the deployment defaults; set ones must lie
    /// within the admin bounds (<see cref="GridOptions.MaxIdleTimeout"/>, <see cref="GridOptions.MaxLifetime"/>).
    /// </summary>
    public Task<Session> CreateSessionAsync(ResourceRequest resources, int priority, string displayName, CancellationToken cancellationToken, TimeSpan? idleTimeout = null, TimeSpan? maxLifetime = null, string owner = DefaultOwner)
    {
        ValidateSession(resources, priority, displayName, "");
        var (idle, lifetime) = ValidateTimeouts(idleTimeout, maxLifetime);
        return RunAsync(async tx => await NewSessionAsync(tx, resources, priority, displayName, batch: false, idle, lifetime, owner), cancellationToken);
    }

    /// <summary>Returns a session; a client looking at it counts as activity.</summary>
    public Task<Session> GetSessionAsync(string sessionId, CancellationToken cancellationToken) =>
        RunReadAsync(async tx =>
        {
            var session = await tx.GetSessionAsync(RequireId(sessionId, "session_id"));
            RecordActivity(session.Id);
            return session;
        }, cancellationToken);

    /// <summary>Sessions, newest first; ended ones only with <paramref name="includeEnded"/>.</summary>
    public Task<IReadOnlyList<Session>> ListSessionsAsync(bool includeEnded, CancellationToken cancellationToken) =>
        RunReadAsync<IReadOnlyList<Session>>(async tx => (await tx.ListSessionsAsync())
            .Where(s => includeEnded || !s.IsEnded)
            .OrderByDescending(s => s.CreatedAt)
            .ThenByDescending(s => s.QueueOrder)
            .ToList(), cancellationToken);

    /// <summary>Ends a session: cancels its jobs and frees its resources. Ending an ended session changes nothing.</summary>
    public Task<Session> TerminateSessionAsync(string sessionId, string reason, CancellationToken cancellationToken)
    {
        RequireId(sessionId, "session_id");
        return RunAsync(async tx =>
        {
            var session = await tx.GetSessionAsync(sessionId);
            return session.IsEnded ? session : await EndSessionAsync(tx, session, SessionState.Terminated, reason);
        }, cancellationToken);
    }

    /// <summary>A session's changes after <paramref name="afterSequence"/>.</summary>
    /// <remarks>Watching a session is not activity on it: a forgotten watcher must not hold a GPU forever.</remarks>
    public async Task<IReadOnlyList<SessionChange>> ReadSessionChangesAsync(string sessionId, long afterSequence, CancellationToken cancellationToken)
    {
        await RunReadAsync(tx => tx.GetSessionAsync(RequireId(sessionId, "session_id")), cancellationToken);
        return await _store.ReadSessionChangesAsync(sessionId, afterSequence, cancellationToken);
    }

    private async ValueTask<Session> NewSessionAsync(GridTransaction tx, ResourceRequest resources, int priority, string displayName, bool batch, TimeSpan idleTimeout, TimeSpan maxLifetime, string owner)
    {
        if (!_options.Quota.QueueWhenOverQuota && await QuotaRefusalAsync(tx, owner, resources.GpuCount) is { } refusal)
        {
            throw new GridException(GridError.ResourceExhausted, refusal);
        }

        if (_queueOrder == 0)
        {
            _queueOrder = (await tx.ListSessionsAsync()).Select(s => s.QueueOrder).DefaultIfEmpty(0).Max();
        }

        var session = new Session
        {
            Id = _ids.NewId("ses"),
            Resources = resources,
            Priority = priority,
            DisplayName = displayName,
            Batch = batch,
            StateReason = "waiting for an agent with free capacity",
            CreatedAt = tx.Now,
            UpdatedAt = tx.Now,
            QueueOrder = ++_queueOrder,
            IdleTimeout = idleTimeout,
            MaxLifetime = maxLifetime,
            LastActivityAt = tx.Now,
            LifetimeStartedAt = tx.Now,
            Owner = owner,
        };
        return tx.Put(session, before: null);
    }

    private async ValueTask<Session> EndSessionAsync(GridTransaction tx, Session session, SessionState final, string reason)
    {
        foreach (var job in (await tx.ListJobsAsync(session.Id)).Where(j => !j.IsFinished))
        {
            FinishJob(tx, session, job, JobResult.Cancelled($"session {final.ToString().ToLowerInvariant()}: {reason}"));
        }

        if (session.AgentId is { } agentId)
        {
            tx.Send(agentId, new ReleaseSession(session.Id, reason));
        }

        return tx.Put(session.End(final, reason, tx.Now), session);
    }

    private static void ValidateSession(ResourceRequest resources, int priority, string displayName, string prefix)
    {
        var problems = resources.Validate(prefix + "resources").ToList();
        if (priority is < 0 or > MaxPriority)
        {
            problems.Add($"{prefix}priority: must be between 0 and {MaxPriority}, got {priority}");
        }

        if (displayName.Length > MaxDisplayName)
        {
            problems.Add($"{prefix}display_name: at most {MaxDisplayName} characters, got {displayName.Length}");
        }

        if (problems.Count > 0)
        {
            throw GridException.Invalid(problems);
        }
    }

    private (TimeSpan Idle, TimeSpan Lifetime) ValidateTimeouts(TimeSpan? idleTimeout, TimeSpan? maxLifetime)
    {
        var problems = new List<string>();
        if (idleTimeout is { } idle && (idle < TimeSpan.FromMinutes(1) || idle > _options.MaxIdleTimeout))
        {
            problems.Add($"idle_timeout: must be between 1m and {_options.MaxIdleTimeout} (the admin bound), got {idle}");
        }

        if (maxLifetime is { } lifetime && (lifetime < TimeSpan.FromMinutes(1) || lifetime > _options.MaxLifetime))
        {
            problems.Add($"max_lifetime: must be between 1m and {_options.MaxLifetime} (the admin bound), got {lifetime}");
        }

        if (problems.Count > 0)
        {
            throw GridException.Invalid(problems);
        }

        return (idleTimeout ?? _options.DefaultIdleTimeout, maxLifetime ?? _options.DefaultMaxLifetime);
    }

    private static string RequireId(string id, string field)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            throw new GridException(GridError.InvalidArgument, $"{field}: required");
        }

        if (id.Length > 64)
        {
            throw new GridException(GridError.InvalidArgument, $"{field}: at most 64 characters, got {id.Length}");
        }

        return id;
    }

    /// <summary>Reads go through the gate too, so they never see half of an operation.</summary>
    private async Task<T> RunReadAsync<T>(Func<GridTransaction, ValueTask<T>> read, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await read(new GridTransaction(_store, _time.GetUtcNow(), cancellationToken));
        }
        finally
        {
            _gate.Release();
        }
    }
}
