using GridTrain.Domain.Agents.Health;

namespace GridTrain.Agent.Gpu.Health;

/// <summary>How the agent checks its GPUs' health and when it trusts a GPU again.</summary>
public sealed class GpuHealthOptions
{
    /// <summary>How often every GPU is checked (NVML events, ECC counters, pages, slowdown). Default 5 seconds.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// An operator's health check run through <c>/bin/sh -c</c> before the GPUs are first leased and after a fault
    /// (e.g. <c>dcgmi diag -r 1</c>); a non-zero exit or a timeout takes every GPU out of service. Unset (the default): none.
    /// </summary>
    public string? Command { get; set; }

    /// <summary>How long <see cref="Command"/> may run before it counts as failed. Default 5 minutes.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Consecutive clean checks before a GPU out of service comes back by itself. Default 5.</summary>
    public int ReadmitCleanChecks { get; set; } = GpuReadmission.Default.CleanChecks;

    /// <summary>Least time those clean checks must span. Default 10 minutes.</summary>
    public TimeSpan ReadmitWindow { get; set; } = GpuReadmission.Default.CleanWindow;

    /// <summary>The readmission rule these options describe.</summary>
    public GpuReadmission Readmission => new(ReadmitCleanChecks, ReadmitWindow);

    /// <summary>Problems with the options, each naming its setting.</summary>
    public IEnumerable<string> Validate()
    {
        if (Interval <= TimeSpan.Zero)
        {
            yield return $"GpuHealth.Interval: must be positive, got {Interval} (--gpu-health-interval)";
        }

        if (CommandTimeout <= TimeSpan.Zero)
        {
            yield return $"GpuHealth.CommandTimeout: must be positive, got {CommandTimeout} (--gpu-health-command-timeout)";
        }

        if (Command is not null && string.IsNullOrWhiteSpace(Command))
        {
            yield return "GpuHealth.Command: must not be blank; leave it unset for no health command (--gpu-health-command)";
        }

        foreach (var problem in Readmission.Validate())
        {
            yield return $"GpuHealth.{problem}";
        }
    }
}
