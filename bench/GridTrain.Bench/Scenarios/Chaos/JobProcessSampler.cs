using System.Globalization;
using System.Text.RegularExpressions;

namespace GridTrain.Bench.Scenarios.Chaos;

/// <summary>A job's process seen in /proc: built-in jobs by the worker's request path, command jobs by their environment.</summary>
internal sealed record JobProcess(int Pid, string JobId, int Attempt, string Agent);

/// <summary>
/// Scans /proc twice a second for job processes and checks that no job ever had two processes of one attempt at
/// once (an attempt is one lease), nor processes of two attempts for longer than <see cref="StaleGrace"/> after the
/// network last changed (a cut-off agent's stale process may run on until it hears from the controller again).
/// Only processes of this soak's agents count (their work directories are under the soak's root): other grids on
/// the machine are none of its business, and never a fault's victim.
/// </summary>
internal sealed partial class JobProcessSampler(string root, Func<TimeSpan> sinceNetworkChange, TimeProvider time)
{
    /// <summary>How long a stale attempt may outlive a healed network: the agent timeout, a heartbeat and the stop grace, with room.</summary>
    public static readonly TimeSpan StaleGrace = TimeSpan.FromSeconds(30);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, TimeSpan> _overlapSince = [];
    private readonly Dictionary<string, TimeSpan> _lastSeen = [];
    private readonly List<string> _doubleRuns = [];
    private readonly HashSet<string> _doubleRunJobs = [];
    private readonly HashSet<string> _overlappedJobs = [];
    private IReadOnlyList<JobProcess> _latest = [];
    private readonly long _started = time.GetTimestamp();

    public int Samples { get; private set; }

    public IReadOnlyList<JobProcess> Latest
    {
        get
        {
            lock (_lock)
            {
                return _latest;
            }
        }
    }

    /// <summary>What each double run was: job, attempts, pids, agents.</summary>
    public IReadOnlyList<string> DoubleRuns
    {
        get
        {
            lock (_lock)
            {
                return [.. _doubleRuns];
            }
        }
    }

    /// <summary>Jobs seen with a stale attempt's process beside the current one (within the grace: allowed).</summary>
    public int StaleOverlaps
    {
        get
        {
            lock (_lock)
            {
                return _overlappedJobs.Count;
            }
        }
    }

    /// <summary>How long ago a process of the job was last seen; null if never.</summary>
    public TimeSpan? SinceSeen(string jobId)
    {
        lock (_lock)
        {
            return _lastSeen.TryGetValue(jobId, out var seen) ? time.GetElapsedTime(_started) - seen : null;
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                Sample();
                await Task.Delay(TimeSpan.FromMilliseconds(500), time, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Sampling ends with the soak.
        }
    }

    public void Sample()
    {
        var processes = Scan(root.TrimEnd('/') + "/");
        var now = time.GetElapsedTime(_started);
        lock (_lock)
        {
            _latest = processes;
            Samples++;
            foreach (var job in processes.GroupBy(p => p.JobId))
            {
                _lastSeen[job.Key] = now;
                var describe = string.Join(", ", job.Select(p => $"pid {p.Pid} attempt {p.Attempt} on {p.Agent}"));
                if (job.GroupBy(p => p.Attempt).Any(a => a.Count() > 1) && _doubleRunJobs.Add(job.Key))
                {
                    _doubleRuns.Add($"{job.Key} at {now.TotalSeconds:F1}s: two processes of one attempt: {describe}");
                }

                if (job.Select(p => p.Attempt).Distinct().Count() < 2)
                {
                    _overlapSince.Remove(job.Key);
                    continue;
                }

                _overlappedJobs.Add(job.Key);
                var since = _overlapSince.TryGetValue(job.Key, out var s) ? s : _overlapSince[job.Key] = now;
                if (now - since > StaleGrace && sinceNetworkChange() > StaleGrace && _doubleRunJobs.Add(job.Key))
                {
                    _doubleRuns.Add($"{job.Key} at {now.TotalSeconds:F1}s: attempts ran side by side for {(now - since).TotalSeconds:F0}s with the network whole: {describe}");
                }
            }

            foreach (var gone in _overlapSince.Keys.Where(k => processes.All(p => p.JobId != k)).ToList())
            {
                _overlapSince.Remove(gone);
            }
        }
    }

    private static List<JobProcess> Scan(string root)
    {
        var found = new List<JobProcess>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var commandLine = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (commandLine.Contains("GridTrain.Worker.dll", StringComparison.Ordinal) && commandLine.Contains(root, StringComparison.Ordinal) && WorkerRequest().Match(commandLine) is { Success: true } request)
                {
                    found.Add(new JobProcess(pid, request.Groups[1].Value, int.Parse(request.Groups[2].Value, CultureInfo.InvariantCulture), Agent(dir)));
                }
                else if (commandLine.Contains("GRIDTRAIN_CHECKPOINT_DIR/.next", StringComparison.Ordinal) && IsGroupLeader(dir, pid))
                {
                    var environment = File.ReadAllText(Path.Combine(dir, "environ")).Split('\0');
                    var job = environment.FirstOrDefault(e => e.StartsWith("GRIDTRAIN_JOB_ID=", StringComparison.Ordinal))?.Split('=', 2)[1];
                    var attempt = environment.FirstOrDefault(e => e.StartsWith("GRIDTRAIN_ATTEMPT=", StringComparison.Ordinal))?.Split('=', 2)[1];
                    var ours = environment.Any(e => e.StartsWith("GRIDTRAIN_WORKSPACE=" + root, StringComparison.Ordinal));
                    if (ours && job is not null && int.TryParse(attempt, CultureInfo.InvariantCulture, out var number))
                    {
                        found.Add(new JobProcess(pid, job, number, Agent(dir)));
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }

        return found;
    }

    private static bool IsGroupLeader(string dir, int pid) => Stat(dir) is { Length: > 4 } stat && stat[4] == pid.ToString(CultureInfo.InvariantCulture);

    /// <summary>The agent the process descends from, by the <c>--name</c> on an ancestor's command line.</summary>
    private static string Agent(string dir)
    {
        for (var depth = 0; depth < 4 && Stat(dir) is { Length: > 3 } stat; depth++)
        {
            dir = Path.Combine("/proc", stat[3]);
            var commandLine = File.Exists(Path.Combine(dir, "cmdline")) ? File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0') : [];
            var index = Array.IndexOf(commandLine, "--name");
            if (index >= 0 && index + 1 < commandLine.Length)
            {
                return commandLine[index + 1];
            }
        }

        return "?";
    }

    /// <summary>/proc/PID/stat fields from the state on (index 2 is the state, 3 the parent, 4 the process group).</summary>
    private static string[]? Stat(string dir)
    {
        var text = File.Exists(Path.Combine(dir, "stat")) ? File.ReadAllText(Path.Combine(dir, "stat")) : null;
        var close = text?.LastIndexOf(')') ?? -1;
        return close < 0 ? null : ["", "", .. text![(close + 2)..].Split(' ')];
    }

    [GeneratedRegex(@"/jobs/([^/ ]+)/attempt-(\d+)/")]
    private static partial Regex WorkerRequest();
}
