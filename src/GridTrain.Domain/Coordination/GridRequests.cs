using GridTrain.Domain.Agents;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Sessions;

namespace GridTrain.Domain.Coordination;

/// <summary>Checks of the coordinator's requests before they reach a decision. Every problem names its field.</summary>
internal static class GridRequests
{
    public const int MaxPriority = 1000;
    public const int MaxDisplayName = 128;

    public static string RequireId(string id, string field)
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

    public static void ValidateRegistration(string name, Inventory inventory, string version)
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

        ThrowIfAny(problems);
    }

    public static void ValidateResources(AgentResources resources) => ThrowIfAny(resources.Validate().ToList());

    public static void ValidateSession(ResourceRequest resources, int priority, string displayName, string prefix)
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

        ThrowIfAny(problems);
    }

    /// <summary>The session's timeouts: set ones within the admin bounds, unset ones the deployment defaults.</summary>
    public static (TimeSpan Idle, TimeSpan Lifetime) Timeouts(TimeSpan? idleTimeout, TimeSpan? maxLifetime, GridOptions options)
    {
        var problems = new List<string>();
        if (idleTimeout is { } idle && (idle < TimeSpan.FromMinutes(1) || idle > options.MaxIdleTimeout))
        {
            problems.Add($"idle_timeout: must be between 1m and {options.MaxIdleTimeout} (the admin bound), got {idle}");
        }

        if (maxLifetime is { } lifetime && (lifetime < TimeSpan.FromMinutes(1) || lifetime > options.MaxLifetime))
        {
            problems.Add($"max_lifetime: must be between 1m and {options.MaxLifetime} (the admin bound), got {lifetime}");
        }

        ThrowIfAny(problems);
        return (idleTimeout ?? options.DefaultIdleTimeout, maxLifetime ?? options.DefaultMaxLifetime);
    }

    /// <summary>The spec with its defaults, or an error listing every problem.</summary>
    public static JobSpec ValidSpec(JobSpec spec)
    {
        var result = JobSpecValidator.Validate(spec);
        return result.Value ?? throw GridException.Invalid(result.Errors);
    }

    /// <summary>An agent's GPU health report: at most one entry per GPU an agent may have, each reason bounded.</summary>
    public static void ValidateGpuHealth(IReadOnlyList<Agents.Health.GpuHealth>? report)
    {
        if (report is null)
        {
            return;
        }

        // Every heartbeat of every agent comes here: a valid report (the rule) is checked without allocating.
        if (report.Count <= 64 && AllWithinLimits(report))
        {
            return;
        }

        var problems = new List<string>();
        if (report.Count > 64)
        {
            problems.Add($"gpu_health: at most 64 GPUs, got {report.Count}");
        }

        problems.AddRange(report.Where(IndexOutOfRange).Select(g => $"gpu_health.index: must be between 0 and 63, got {g.Index}"));
        problems.AddRange(report.Where(TextTooLong).Select(g => $"gpu_health[{g.Index}]: reason at most 512 and uuid at most 128 characters"));
        ThrowIfAny(problems);
    }

    private static bool AllWithinLimits(IReadOnlyList<Agents.Health.GpuHealth> report)
    {
        for (var i = 0; i < report.Count; i++)
        {
            if (IndexOutOfRange(report[i]) || TextTooLong(report[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IndexOutOfRange(Agents.Health.GpuHealth gpu) => gpu.Index is < 0 or > 63;

    private static bool TextTooLong(Agents.Health.GpuHealth gpu) => gpu.Reason.Length > 512 || gpu.Uuid.Length > 128;

    public static void ValidateDrainDeadline(TimeSpan deadline)
    {
        if (deadline <= TimeSpan.Zero || deadline > TimeSpan.FromDays(1))
        {
            throw new GridException(GridError.InvalidArgument, $"deadline: must be between 1s and 1 day, got {deadline}");
        }
    }

    /// <summary>A command job runs the user's own code, which an operator may have turned off.</summary>
    public static void RequireUserCode(JobSpec spec, GridOptions options)
    {
        if (spec.IsCommand && !options.UserCode)
        {
            throw GridException.UserCodeOff("a command job");
        }
    }

    public static void ValidateResult(JobResult result)
    {
        if (result.State is not (JobState.Succeeded or JobState.Failed or JobState.Cancelled))
        {
            throw new GridException(GridError.InvalidArgument, $"result.state: must be SUCCEEDED, FAILED or CANCELLED, got {result.State}");
        }
    }

    private static void ThrowIfAny(List<string> problems)
    {
        if (problems.Count > 0)
        {
            throw GridException.Invalid(problems);
        }
    }
}
