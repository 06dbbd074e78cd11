namespace GridTrain.Domain.Agents.Health;

/// <summary>When a GPU taken out of service comes back by itself: after enough clean checks spread over enough time.</summary>
/// <param name="CleanChecks">Consecutive clean checks needed. Default 5.</param>
/// <param name="CleanWindow">Least time from the first of those checks to the last. Default 10 minutes.</param>
public sealed record GpuReadmission(int CleanChecks, TimeSpan CleanWindow)
{
    /// <summary>Five clean checks over ten minutes.</summary>
    public static GpuReadmission Default { get; } = new(5, TimeSpan.FromMinutes(10));

    /// <summary>Problems with the rule, each naming its setting.</summary>
    public IEnumerable<string> Validate()
    {
        if (CleanChecks < 1)
        {
            yield return $"GpuReadmitCleanChecks must be at least 1, got {CleanChecks}";
        }

        if (CleanWindow < TimeSpan.Zero)
        {
            yield return $"GpuReadmitWindow must not be negative, got {CleanWindow}";
        }
    }
}
