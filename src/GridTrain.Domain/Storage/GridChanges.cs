using GridTrain.Domain.Agents;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Sessions;

namespace GridTrain.Domain.Storage;

/// <summary>Writes collected during one operation, saved together.</summary>
public sealed class GridChanges
{
    private readonly Dictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Job> _jobs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Agent> _agents = new(StringComparer.Ordinal);
    private readonly List<JobEvent> _jobEvents = [];
    private readonly List<SessionChange> _sessionChanges = [];

    public IReadOnlyCollection<Session> Sessions => _sessions.Values;

    public IReadOnlyCollection<Job> Jobs => _jobs.Values;

    public IReadOnlyCollection<Agent> Agents => _agents.Values;

    public IReadOnlyList<JobEvent> JobEvents => _jobEvents;

    public IReadOnlyList<SessionChange> SessionChanges => _sessionChanges;

    public bool IsEmpty => _sessions.Count + _jobs.Count + _agents.Count + _jobEvents.Count + _sessionChanges.Count == 0;

    public void Put(Session session) => _sessions[session.Id] = session;

    public void Put(Job job) => _jobs[job.Id] = job;

    public void Put(Agent agent) => _agents[agent.Id] = agent;

    public void Append(JobEvent jobEvent) => _jobEvents.Add(jobEvent);

    public void Append(SessionChange change) => _sessionChanges.Add(change);

    /// <summary>Takes in <paramref name="later"/>'s writes, made after these: its records replace these, its events follow.</summary>
    public void Add(GridChanges later)
    {
        foreach (var session in later.Sessions)
        {
            Put(session);
        }

        foreach (var job in later.Jobs)
        {
            Put(job);
        }

        foreach (var agent in later.Agents)
        {
            Put(agent);
        }

        _jobEvents.AddRange(later.JobEvents);
        _sessionChanges.AddRange(later.SessionChanges);
    }
}
