using GridTrain.Controller.Storage;
using GridTrain.Domain.Agents;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Security;
using GridTrain.Domain.Sessions;
using GridTrain.Domain.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace GridTrain.IntegrationTests.Storage;

/// <summary>
/// What every <see cref="IGridStore"/> must do, run against each implementation. <see cref="ReopenAsync"/>
/// gives a new store over the same data (a controller restart), or the same instance for memory.
/// </summary>
public abstract class GridStoreContract
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 27, 8, 0, 0, TimeSpan.Zero);

    protected abstract Task<IGridStore> CreateAsync();

    protected abstract Task<IGridStore> ReopenAsync(IGridStore store);

    [Fact]
    public async Task Save_ThenRead_RoundTripsEveryRecordKind()
    {
        var store = await CreateAsync();
        var id = Unique();
        var session = new Session
        {
            Id = $"ses-{id}",
            Resources = new ResourceRequest(Runtime.Gpu, 2, "H100"),
            CreatedAt = s_now,
            UpdatedAt = s_now,
            GpuIndexes = [1, 3],
            LeaseEpoch = 4,
            AgentId = "agt-1",
            State = SessionState.Busy,
            Priority = 7,
            Owner = "alice",
            IdleTimeout = TimeSpan.FromMinutes(30),
            HeldSince = s_now,
            GpuUsage = [new GpuUsage(s_now.AddHours(-3), s_now.AddHours(-1), 2)],
            UnitsPerHour = 12,
            UnitUsage = [new UnitPeriod(s_now.AddHours(-3), s_now.AddHours(-1), 12)],
        };
        var job = new Job
        {
            Id = $"job-{id}",
            SessionId = session.Id,
            Spec = new JobSpec { Model = new ModelSpec { Name = ModelKind.Mlp, HiddenSizes = [64, 32] }, Data = new DataSpec { Synthetic = new SyntheticDataSpec { TrainExamples = 10 } } },
            State = JobState.Failed,
            Attempt = 2,
            UnchargedAttempts = 1,
            GpuFaults = ["GPU-x Xid 79"],
            Progress = new ProgressReported(5, 10, 1, 0.5, double.NaN, 3),
            Result = new JobResult { State = JobState.Failed, Reason = "killed", TestAccuracy = null, ExitCode = 137, Retryable = true },
            CreatedAt = s_now,
            StartedAt = s_now,
        };
        var agent = new GridTrain.Domain.Agents.Agent { Id = $"agt-{id}", Name = $"node-{id}", Inventory = new Inventory(8, 1L << 35, [new GpuDevice(0, "GPU-x", "NVIDIA H100", 80L << 30)], 2), RegisteredAt = s_now, LastHeartbeatAt = s_now };
        var changes = new GridChanges();
        changes.Put(session);
        changes.Put(job);
        changes.Put(agent);
        changes.Append(new JobEvent(job.Id, 1, s_now, new JobStateChanged(JobState.Queued, "queued")));
        changes.Append(new JobEvent(job.Id, 2, s_now, new CheckpointWritten(5, "/c/5")));
        changes.Append(new SessionChange(session.Id, 1, s_now, SessionState.Pending, null, "created"));
        await store.SaveAsync(changes, default);

        var reopened = await ReopenAsync(store);

        Assert.Equal(session, await reopened.GetSessionAsync(session.Id, default), SessionComparer.Instance);
        var storedJob = await reopened.GetJobAsync(job.Id, default);
        Assert.NotNull(storedJob);
        Assert.Equal([64, 32], storedJob.Spec.Model.HiddenSizes);
        Assert.Equal(job.Result, storedJob.Result);
        Assert.Equal((1, 1), (storedJob.UnchargedAttempts, storedJob.ChargedAttempts));
        Assert.Equal(["GPU-x Xid 79"], storedJob.GpuFaults);
        Assert.True(double.IsNaN(storedJob.Progress!.SamplesPerSecond));
        var storedAgent = await reopened.GetAgentAsync(agent.Id, default);
        Assert.Equal("NVIDIA H100", Assert.Single(storedAgent!.Inventory.Gpus).Model);
        var events = await reopened.ReadJobEventsAsync(job.Id, 0, 10, default);
        Assert.Equal([1L, 2L], events.Select(e => e.Sequence));
        Assert.IsType<CheckpointWritten>(events[1].Data);
        Assert.Equal(SessionState.Pending, Assert.Single(await reopened.ReadSessionChangesAsync(session.Id, 0, default)).State);
    }

    [Fact]
    public async Task Save_SameId_Replaces()
    {
        var store = await CreateAsync();
        var session = new Session { Id = $"ses-{Unique()}", Resources = ResourceRequest.Cpu, CreatedAt = s_now, UpdatedAt = s_now };
        await Save(store, session);
        await Save(store, session.Place("agt-1", [], 0, s_now));

        var stored = await (await ReopenAsync(store)).GetSessionAsync(session.Id, default);

        Assert.Equal(SessionState.Starting, stored!.State);
        Assert.Equal(1, stored.LeaseEpoch);
        Assert.Single(await store.ListSessionsAsync(default), s => s.Id == session.Id);
    }

    [Fact]
    public async Task ReadJobEvents_AfterAndLimit_InOrder()
    {
        var store = await CreateAsync();
        var jobId = $"job-{Unique()}";
        var changes = new GridChanges();
        for (var i = 1; i <= 10; i++)
        {
            changes.Append(new JobEvent(jobId, i, s_now, new LogWritten("stdout", $"line {i}")));
        }

        await store.SaveAsync(changes, default);

        var page = await store.ReadJobEventsAsync(jobId, afterSequence: 3, limit: 4, default);

        Assert.Equal([4L, 5L, 6L, 7L], page.Select(e => e.Sequence));
        Assert.Empty(await store.ReadJobEventsAsync("job-none", 0, 10, default));
    }

    [Fact]
    public async Task ListJobs_BySession()
    {
        var store = await CreateAsync();
        var id = Unique();
        var changes = new GridChanges();
        foreach (var (job, session) in new[] { ("a", "s1"), ("b", "s1"), ("c", "s2") })
        {
            changes.Put(new Job { Id = $"job-{id}-{job}", SessionId = $"ses-{id}-{session}", Spec = new JobSpec { Model = new ModelSpec { Name = ModelKind.Mlp }, Data = new DataSpec() }, CreatedAt = s_now });
        }

        await store.SaveAsync(changes, default);

        Assert.Equal([$"job-{id}-a", $"job-{id}-b"], (await store.ListJobsAsync($"ses-{id}-s1", default)).Select(j => j.Id).Order());
    }

    [Fact]
    public async Task IndexedQueries_FollowEveryReplacement_AndSurviveAReopen()
    {
        var store = await CreateAsync();
        var id = Unique();
        var (a, b, alice, bob) = ($"agt-{id}-a", $"agt-{id}-b", $"alice-{id}", $"bob-{id}");
        // A GPU model no agent has: the database is shared with other tests, whose coordinators must not place these sessions.
        var waiting = new Session { Id = $"ses-{id}-waiting", Resources = new ResourceRequest(Runtime.Gpu, 1, $"model-{id}"), CreatedAt = s_now, UpdatedAt = s_now, Owner = alice };
        var onA = waiting with { Id = $"ses-{id}-on-a" };
        var moved = waiting with { Id = $"ses-{id}-moved", Owner = bob };
        var ended = waiting with { Id = $"ses-{id}-ended" };
        var queued = new Job { Id = $"job-{id}-queued", SessionId = waiting.Id, Spec = new JobSpec { Model = new ModelSpec { Name = ModelKind.Mlp }, Data = new DataSpec() }, CreatedAt = s_now };
        var finished = queued with { Id = $"job-{id}-finished", SessionId = onA.Id, State = JobState.Running };
        var agent = new GridTrain.Domain.Agents.Agent { Id = a, Name = $"node-{id}", Inventory = new Inventory(8, 1L << 35, [], 2), RegisteredAt = s_now, LastHeartbeatAt = s_now };
        await Save(store, waiting, onA, moved, ended);
        await Save(store, onA.Place(a, [], 0, s_now), moved.Place(a, [], 0, s_now), ended.Place(a, [], 0, s_now));
        await SaveAll(store, agent, queued, finished);
        // Each record replaced again: the session moves from agent a to b, one ends, a job finishes, the agent re-registers.
        await Save(store, moved.Place(b, [], 0, s_now) with { LeaseEpoch = 2 }, ended.Place(a, [], 0, s_now).End(SessionState.Terminated, "done", s_now));
        await SaveAll(store, agent with { Version = "2" }, finished with { State = JobState.Succeeded });

        foreach (var view in new[] { store, await ReopenAsync(store) })
        {
            Assert.Equal([onA.Id], Ids(await view.ListHeldSessionsAsync(a, default)));
            Assert.Equal([moved.Id], Ids(await view.ListHeldSessionsAsync(b, default)));
            Assert.Equal([moved.Id, onA.Id], Ids(await view.ListHeldSessionsAsync(null, default), id));
            Assert.Equal([waiting.Id], Ids(await view.ListSessionsInStateAsync(SessionState.Pending, default), id));
            Assert.Equal([ended.Id], Ids(await view.ListSessionsInStateAsync(SessionState.Terminated, default), id));
            Assert.Equal([ended.Id, onA.Id, waiting.Id], Ids(await view.ListSessionsOfOwnerAsync(alice, default)));
            Assert.Equal([moved.Id], Ids(await view.ListSessionsOfOwnerAsync(bob, default)));
            Assert.Equal([queued.Id], (await view.ListJobsInStateAsync(JobState.Queued, default)).Select(j => j.Id).Where(j => j.Contains(id)));
            Assert.DoesNotContain(await view.ListJobsInStateAsync(JobState.Running, default), j => j.Id == finished.Id);
            Assert.Equal(JobState.Succeeded, Assert.Single(await view.ListJobsAsync(onA.Id, default)).State);
            Assert.Equal("2", (await view.FindAgentByNameAsync(agent.Name, default))?.Version);
            Assert.Null(await view.FindAgentByNameAsync($"node-{id}-unknown", default));
        }
    }

    [Fact]
    public async Task Coordinator_RestartedOnTheSameStore_FindsEverything()
    {
        var store = await CreateAsync();
        var grid = Coordinator(store);
        var registration = await grid.RegisterAgentAsync($"node-{Unique()}", new Inventory(4, 1L << 30, [], 1), "test", [], [], default);
        await grid.OpenCommandStreamAsync(registration.Agent.Id, default);
        var job = await grid.SubmitBatchJobAsync(ResourceRequest.Cpu, 0, new JobSpec { Model = new ModelSpec { Name = ModelKind.Mlp }, Data = new DataSpec { Synthetic = new SyntheticDataSpec { TrainExamples = 8 } } }, default);

        var restarted = Coordinator(await ReopenAsync(store));

        var session = await restarted.GetSessionAsync(job.SessionId, default);
        Assert.Equal(SessionState.Starting, session.State);
        Assert.Equal(registration.Agent.Id, session.AgentId);
        Assert.Equal(JobState.Queued, (await restarted.GetJobAsync(job.Id, default)).State);
        Assert.Equal(
            [SessionState.Pending, SessionState.Starting],
            (await restarted.ReadSessionChangesAsync(session.Id, 0, default)).Select(c => c.State));
    }

    [Fact]
    public async Task Tokens_SaveRevokeReopen_RoundTripAndList()
    {
        var store = await CreateAsync();
        var id = Unique();
        var token = new ApiToken
        {
            Id = id,
            Subject = "alice",
            Role = TokenRole.Admin,
            SecretHash = new string('a', 64),
            Description = "ci token",
            CreatedBy = "admin",
            CreatedAt = s_now,
        };
        await store.SaveTokenAsync(token, default);
        await store.SaveTokenAsync(token with { RevokedAt = s_now.AddMinutes(5) }, default);
        var agentCredential = token with { Id = $"agt-{id}", Subject = $"agt-{id}", Role = TokenRole.Agent };
        await store.SaveTokenAsync(agentCredential, default);

        var reopened = await ReopenAsync(store);
        var read = await reopened.GetTokenAsync(id, default);
        var listed = await reopened.ListTokensAsync(default);

        Assert.Equal(token with { RevokedAt = s_now.AddMinutes(5) }, read);
        Assert.True(read!.IsRevoked);
        Assert.Contains(listed, t => t.Id == id);
        Assert.Contains(listed, t => t.Id == agentCredential.Id && t.Role == TokenRole.Agent);
        Assert.Null(await reopened.GetTokenAsync($"missing-{id}", default));
    }

    private static GridCoordinator Coordinator(IGridStore store) =>
        new(new CachedGridStore(store), TimeProvider.System, new RandomIdGenerator(), new GridOptions(), NullLogger<GridCoordinator>.Instance);

    private static Task Save(IGridStore store, params Session[] sessions)
    {
        var changes = new GridChanges();
        foreach (var session in sessions)
        {
            changes.Put(session);
        }

        return store.SaveAsync(changes, default).AsTask();
    }

    private static Task SaveAll(IGridStore store, GridTrain.Domain.Agents.Agent agent, params Job[] jobs)
    {
        var changes = new GridChanges();
        changes.Put(agent);
        foreach (var job in jobs)
        {
            changes.Put(job);
        }

        return store.SaveAsync(changes, default).AsTask();
    }

    /// <summary>The ids of <paramref name="sessions"/>, sorted; only this test's (containing <paramref name="mine"/>) when given.</summary>
    private static IEnumerable<string> Ids(IEnumerable<Session> sessions, string mine = "") =>
        sessions.Select(s => s.Id).Where(i => i.Contains(mine, StringComparison.Ordinal)).Order(StringComparer.Ordinal);

    private static string Unique() => Guid.NewGuid().ToString("N")[..12];

    private sealed class SessionComparer : IEqualityComparer<Session?>
    {
        public static readonly SessionComparer Instance = new();

        public bool Equals(Session? x, Session? y) =>
            x is not null && y is not null
            && x with { GpuIndexes = [], GpuUsage = [], UnitUsage = [] } == y with { GpuIndexes = [], GpuUsage = [], UnitUsage = [] }
            && x.GpuIndexes.SequenceEqual(y.GpuIndexes)
            && x.GpuUsage.SequenceEqual(y.GpuUsage)
            && x.UnitUsage.SequenceEqual(y.UnitUsage);

        public int GetHashCode(Session? obj) => obj?.Id.GetHashCode(StringComparison.Ordinal) ?? 0;
    }
}
