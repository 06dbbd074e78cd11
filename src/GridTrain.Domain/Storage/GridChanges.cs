using GridTrain.Domain.Agents;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Sessions;

namespace GridTrain.Domain.Storage;

/// <summary>Writes collected during one operation, saved together.</summary>
public sealed class GridChanges
{
    // Made on the first write: most operations write nothing.
    private Dictionary<string, Session>? _sessions;
    private Dictionary<string, Job>? _jobs;
    private Dictionary<string, Agent>? _agents;
    private List<JobEvent>? _jobEvents;
    private List<SessionChange>? _sessionChanges;

    public IReadOnlyCollection<Session> Sessions => _sessions?.Values ?? (IReadOnlyCollection<Session>)[];

    public IReadOnlyCollection<Job> Jobs => _jobs?.Values ?? (IReadOnlyCollection<Job>)[];

    public IReadOnlyCollection<Agent> Agents => _agents?.Values ?? (IReadOnlyCollection<Agent>)[];

    public IReadOnlyList<JobEvent> JobEvents => _jobEvents ?? (IReadOnlyList<JobEvent>)[];

    public IReadOnlyList<SessionChange> SessionChanges => _sessionChanges ?? (IReadOnlyList<SessionChange>)[];

    public bool IsEmpty => (_sessions?.Count ?? 0) + (_jobs?.Count ?? 0) + (_agents?.Count ?? 0) + (_jobEvents?.Count ?? 0) + (_sessionChanges?.Count ?? 0) == 0;

    public void Put(Session session) => (_sessions ??= new(StringComparer.Ordinal))[session.Id] = session;

    public void Put(Job job) => (_jobs ??= new(StringComparer.Ordinal))[job.Id] = job;

    public void Put(Agent agent) => (_agents ??= new(StringComparer.Ordinal))[agent.Id] = agent;

    public void Append(JobEvent jobEvent) => (_jobEvents ??= []).Add(jobEvent);

    public void Append(SessionChange change) => (_sessionChanges ??= []).Add(change);

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

        if (later.JobEvents.Count > 0)
        {
            (_jobEvents ??= []).AddRange(later.JobEvents);
        }

        if (later.SessionChanges.Count > 0)
        {
            (_sessionChanges ??= []).AddRange(later.SessionChanges);
        }
    }
}
