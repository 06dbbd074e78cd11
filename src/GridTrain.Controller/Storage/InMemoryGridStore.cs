using GridTrain.Domain.Agents;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Security;
using GridTrain.Domain.Sessions;
using GridTrain.Domain.Storage;

namespace GridTrain.Controller.Storage;

/// <summary>Keeps the controller's state in memory: for tests and throwaway grids. Nothing survives a restart.</summary>
public sealed class InMemoryGridStore : IGridStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Job> _jobs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Agent> _agents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<JobEvent>> _jobEvents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<SessionChange>> _sessionChanges = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ApiToken> _tokens = new(StringComparer.Ordinal);

    public ValueTask<Session?> GetSessionAsync(string id, CancellationToken cancellationToken) => Read(() => _sessions.GetValueOrDefault(id));

    public ValueTask<IReadOnlyList<Session>> ListSessionsAsync(CancellationToken cancellationToken) =>
        Read<IReadOnlyList<Session>>(() => [.. _sessions.Values]);

    public ValueTask<Job?> GetJobAsync(string id, CancellationToken cancellationToken) => Read(() => _jobs.GetValueOrDefault(id));

    public ValueTask<IReadOnlyList<Job>> ListJobsAsync(string? sessionId, CancellationToken cancellationToken) =>
        Read<IReadOnlyList<Job>>(() => [.. _jobs.Values.Where(j => sessionId is null || j.SessionId == sessionId)]);

    public ValueTask<Agent?> GetAgentAsync(string id, CancellationToken cancellationToken) => Read(() => _agents.GetValueOrDefault(id));

    public ValueTask<IReadOnlyList<Agent>> ListAgentsAsync(CancellationToken cancellationToken) =>
        Read<IReadOnlyList<Agent>>(() => [.. _agents.Values]);

    public ValueTask<Agent?> FindAgentByNameAsync(string name, CancellationToken cancellationToken) =>
        Read(() => _agents.Values.FirstOrDefault(a => a.Name == name));

    public ValueTask<IReadOnlyList<Session>> ListHeldSessionsAsync(string? agentId, CancellationToken cancellationToken) =>
        Read<IReadOnlyList<Session>>(() => [.. _sessions.Values.Where(s => s.IsHeldOn(agentId))]);

    public ValueTask<IReadOnlyList<Session>> ListSessionsInStateAsync(SessionState state, CancellationToken cancellationToken) =>
        Read<IReadOnlyList<Session>>(() => [.. _sessions.Values.Where(s => s.State == state)]);

    public ValueTask<IReadOnlyList<Session>> ListSessionsOfOwnerAsync(string owner, CancellationToken cancellationToken) =>
        Read<IReadOnlyList<Session>>(() => [.. _sessions.Values.Where(s => s.Owner == owner)]);

    public ValueTask<IReadOnlyList<Job>> ListJobsInStateAsync(JobState state, CancellationToken cancellationToken) =>
        Read<IReadOnlyList<Job>>(() => [.. _jobs.Values.Where(j => j.State == state)]);

    public ValueTask<IReadOnlyList<JobEvent>> ReadJobEventsAsync(string jobId, long afterSequence, int limit, CancellationToken cancellationToken) =>
        Read<IReadOnlyList<JobEvent>>(() => _jobEvents.TryGetValue(jobId, out var events)
            ? [.. events.Where(e => e.Sequence > afterSequence).Take(limit)]
            : []);

    public ValueTask<IReadOnlyList<SessionChange>> ReadSessionChangesAsync(string sessionId, long afterSequence, CancellationToken cancellationToken) =>
        Read<IReadOnlyList<SessionChange>>(() => _sessionChanges.TryGetValue(sessionId, out var changes)
            ? [.. changes.Where(c => c.Sequence > afterSequence)]
            : []);

    public ValueTask SaveAsync(GridChanges changes, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            foreach (var session in changes.Sessions)
            {
                _sessions[session.Id] = session;
            }

            foreach (var job in changes.Jobs)
            {
                _jobs[job.Id] = job;
            }

            foreach (var agent in changes.Agents)
            {
                _agents[agent.Id] = agent;
            }

            foreach (var jobEvent in changes.JobEvents)
            {
                Append(_jobEvents, jobEvent.JobId, jobEvent);
            }

            foreach (var change in changes.SessionChanges)
            {
                Append(_sessionChanges, change.SessionId, change);
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<ApiToken?> GetTokenAsync(string id, CancellationToken cancellationToken) => Read(() => _tokens.GetValueOrDefault(id));

    public ValueTask<IReadOnlyList<ApiToken>> ListTokensAsync(CancellationToken cancellationToken) =>
        Read<IReadOnlyList<ApiToken>>(() => [.. _tokens.Values]);

    public ValueTask SaveTokenAsync(ApiToken token, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _tokens[token.Id] = token;
        }

        return ValueTask.CompletedTask;
    }

    private static void Append<T>(Dictionary<string, List<T>> streams, string key, T item)
    {
        if (!streams.TryGetValue(key, out var stream))
        {
            stream = [];
            streams[key] = stream;
        }

        stream.Add(item);
    }

    private ValueTask<T> Read<T>(Func<T> read)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(read());
        }
    }
}
