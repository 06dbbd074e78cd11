namespace GridTrain.Domain.Sessions;

/// <summary>A user's hold on an agent's resources. Immutable: transitions return a new value.</summary>
public sealed record Session
{
    public required string Id { get; init; }

    public required ResourceRequest Resources { get; init; }

    public SessionState State { get; init; } = SessionState.Pending;

    public string StateReason { get; init; } = "";

    public int Priority { get; init; }

    public string DisplayName { get; init; } = "";

    /// <summary>True when the session belongs to a batch job and ends with it.</summary>
    public bool Batch { get; init; }

    /// <summary>Agent holding the session; null while pending or after it ended.</summary>
    public string? AgentId { get; init; }

    public IReadOnlyList<int> GpuIndexes { get; init; } = [];

    /// <summary>Fencing token: grows by one on every placement, never decreases.</summary>
    public long LeaseEpoch { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Admission order among sessions of equal priority (FIFO).</summary>
    public long QueueOrder { get; init; }

    /// <summary>Sequence of the session's newest change event.</summary>
    public long LastChangeSequence { get; init; }

    /// <summary>Evicted after this long without a running or queued job and without client activity.</summary>
    public TimeSpan IdleTimeout { get; init; }

    /// <summary>The user the session belongs to; quotas count per owner.</summary>
    public string Owner { get; init; } = "local";

    /// <summary>When the current placement started holding resources; null while it holds none.</summary>
    public DateTimeOffset? HeldSince { get; init; }

    /// <summary>Past periods the session held GPUs, for GPU-hour quotas.</summary>
    public IReadOnlyList<GpuUsage> GpuUsage { get; init; } = [];

    /// <summary>Compute units an hour the current placement costs (by the agent's GPU models, or the CPU rate); 0 while it holds nothing.</summary>
    public double UnitsPerHour { get; init; }

    /// <summary>Past periods the session held resources that cost units, for the unit quota and the bill.</summary>
    public IReadOnlyList<UnitPeriod> UnitUsage { get; init; } = [];

    /// <summary>Evicted this long after <see cref="LifetimeStartedAt"/>, idle or not.</summary>
    public TimeSpan MaxLifetime { get; init; }

    /// <summary>Last recorded client activity (creation, a job finishing, a resume; calls are tracked by the coordinator too).</summary>
    public DateTimeOffset LastActivityAt { get; init; }

    /// <summary>Creation, or the last resume.</summary>
    public DateTimeOffset LifetimeStartedAt { get; init; }

    /// <summary>The eviction time watchers were last warned about, so a warning is sent once per deadline.</summary>
    public DateTimeOffset? EvictionWarnedFor { get; init; }

    /// <summary>Set while an eviction waits for the running job's checkpoint: why it is being evicted.</summary>
    public string? EvictingReason { get; init; }

    /// <summary>While evicting: when eviction proceeds even without the job's confirmation.</summary>
    public DateTimeOffset? EvictionGraceEndsAt { get; init; }

    /// <summary>While evicting: true when the session moves to another agent afterwards (a drain) instead of being evicted.</summary>
    public bool EvictionMoves { get; init; }

    public DateTimeOffset ExpiresAt => LifetimeStartedAt + MaxLifetime;

    public bool IsEnded => State is SessionState.Terminated or SessionState.Failed;

    /// <summary>Evicted or suspended: holds nothing, keeps its record, jobs and checkpoints, and can be resumed.</summary>
    public bool IsResumable => State is SessionState.Evicted or SessionState.Suspended;

    /// <summary>True while the session holds resources on an agent.</summary>
    public bool HoldsResources => State is SessionState.Starting or SessionState.Ready or SessionState.Busy;

    /// <summary>True while the session holds resources on the agent (on any agent when <paramref name="agentId"/> is null).</summary>
    public bool IsHeldOn(string? agentId) => HoldsResources && AgentId is not null && (agentId is null || AgentId == agentId);

    /// <summary>Compute units spent within [<paramref name="from"/>, <paramref name="to"/>], the current placement included up to <paramref name="to"/>.</summary>
    public double UnitsWithin(DateTimeOffset from, DateTimeOffset to) =>
        UnitUsage.Sum(u => u.UnitsWithin(from, to))
        + (HeldSince is { } since && UnitsPerHour > 0 ? new UnitPeriod(since, to, UnitsPerHour).UnitsWithin(from, to) : 0);

    /// <summary>GPU-hours held within [<paramref name="from"/>, <paramref name="to"/>] (GPUs × hours), the current placement included up to <paramref name="to"/>.</summary>
    public double GpuHoursWithin(DateTimeOffset from, DateTimeOffset to) =>
        GpuUsage.Sum(u => u.GpuHoursWithin(from, to))
        + (HeldSince is { } since && GpuIndexes.Count > 0 ? new GpuUsage(since, to, GpuIndexes.Count).GpuHoursWithin(from, to) : 0);

    /// <summary>Placed on <paramref name="agentId"/>'s GPUs (none: a CPU slot) under the next lease epoch, costing <paramref name="unitsPerHour"/> compute units an hour.</summary>
    public Session Place(string agentId, IReadOnlyList<int> gpuIndexes, double unitsPerHour, DateTimeOffset now) =>
        Move(SessionState.Starting, $"placed on {agentId}", now) with
        {
            AgentId = agentId,
            GpuIndexes = gpuIndexes,
            LeaseEpoch = LeaseEpoch + 1,
            UnitsPerHour = unitsPerHour,
        };

    /// <summary>
    /// The same session under lease epoch <paramref name="epoch"/> if that is newer: an agent holds a lease the store
    /// forgot (see <c>EpochReconciliation</c>), and the next placement must be above it.
    /// </summary>
    public Session RaiseEpoch(long epoch) => epoch > LeaseEpoch ? this with { LeaseEpoch = epoch } : this;

    /// <summary>Back to the queue (its agent was lost); the next placement gets a new epoch.</summary>
    public Session Requeue(string reason, DateTimeOffset now) =>
        Move(SessionState.Pending, reason, now) with { AgentId = null, GpuIndexes = [], EvictingReason = null, EvictionGraceEndsAt = null, EvictionMoves = false };

    public Session MarkReady(string reason, DateTimeOffset now) => Move(SessionState.Ready, reason, now);

    public Session MarkBusy(string reason, DateTimeOffset now) => Move(SessionState.Busy, reason, now);

    public Session End(SessionState final, string reason, DateTimeOffset now) =>
        Move(final, reason, now) with { AgentId = null, GpuIndexes = [], EvictingReason = null, EvictionGraceEndsAt = null };

    /// <summary>The session with unset eviction timeouts (stored before idle eviction existed) set to the deployment defaults, counted from its creation.</summary>
    public Session WithEvictionDefaults(TimeSpan defaultIdleTimeout, TimeSpan defaultMaxLifetime) =>
        IdleTimeout > TimeSpan.Zero && MaxLifetime > TimeSpan.Zero && LifetimeStartedAt != default && LastActivityAt != default ? this : this with
    {
        IdleTimeout = IdleTimeout > TimeSpan.Zero ? IdleTimeout : defaultIdleTimeout,
        MaxLifetime = MaxLifetime > TimeSpan.Zero ? MaxLifetime : defaultMaxLifetime,
        LifetimeStartedAt = LifetimeStartedAt == default ? CreatedAt : LifetimeStartedAt,
        LastActivityAt = LastActivityAt == default ? CreatedAt : LastActivityAt,
    };

    /// <summary>Back to the queue after an eviction; its lifetime and idle clock start again.</summary>
    public Session Resume(DateTimeOffset now) =>
        Move(SessionState.Pending, "resumed; waiting for an agent with free capacity", now) with
        {
            LifetimeStartedAt = now,
            LastActivityAt = now,
            EvictionWarnedFor = null,
        };

    private Session Move(SessionState to, string reason, DateTimeOffset now)
    {
        SessionTransitions.Ensure(State, to, Id);
        var moved = this with { State = to, StateReason = reason, UpdatedAt = now };
        var holds = to is SessionState.Starting or SessionState.Ready or SessionState.Busy;
        if (HoldsResources && !holds)
        {
            // Leaving its agent: the time it held GPUs counts against its owner's GPU-hours, and its units are spent.
            // Each placement's period ends here and the next starts at its own placement, so no interval is charged twice.
            moved = moved with
            {
                HeldSince = null,
                UnitsPerHour = 0,
                GpuUsage = GpuIndexes.Count > 0 && HeldSince is { } since ? [.. GpuUsage, new GpuUsage(since, now, GpuIndexes.Count)] : GpuUsage,
                UnitUsage = UnitsPerHour > 0 && HeldSince is { } held && now > held ? [.. UnitUsage, new UnitPeriod(held, now, UnitsPerHour)] : UnitUsage,
            };
        }
        else if (!HoldsResources && holds)
        {
            // Getting resources is activity: time spent waiting in the queue never counts as idle.
            moved = moved with { HeldSince = now, LastActivityAt = now > LastActivityAt ? now : LastActivityAt };
        }

        return moved;
    }
}
