using GridTrain.Domain.Jobs.Validation;

namespace GridTrain.Domain.Jobs;

/// <summary>
/// Checks a <see cref="JobSpec"/> after <see cref="JobSpecDefaults.Apply"/> has filled in its defaults, section by
/// section (<see cref="CommandRules"/>, <see cref="ModelRules"/>, <see cref="DataRules"/>, <see cref="HyperparameterRules"/>). Every problem names
/// its field. Choices are typed; text is parsed into them by <see cref="Choice{T}"/>, which reports unknown spellings.
/// </summary>
public static class JobSpecValidator
{
    private const int MaxThreads = 256;
    private const int MaxDisplayName = 128;

    /// <summary>Returns the spec with defaults applied, or the list of problems found.</summary>
    public static ValidationResult<JobSpec> Validate(JobSpec spec)
    {
        var withDefaults = JobSpecDefaults.Apply(spec);
        var errors = new List<string>();
        CommandRules.Check(withDefaults, errors);
        if (!withDefaults.IsCommand)
        {
            ModelRules.Check(withDefaults.Model, errors);
            DataRules.Check(withDefaults.Data, errors);
        }

        HyperparameterRules.Check(withDefaults.Hyperparameters, errors);
        CheckJob(withDefaults, errors);
        return errors.Count > 0 ? ValidationResult<JobSpec>.Invalid(errors) : ValidationResult<JobSpec>.Valid(withDefaults);
    }

    private static void CheckJob(JobSpec spec, List<string> errors)
    {
        Validation.SpecText.Defined(spec.Device, "spec.device", "device", errors);
        if (spec.Checkpoint.EverySteps < 0)
        {
            errors.Add($"spec.checkpoint.every_steps: must not be negative, got {spec.Checkpoint.EverySteps}");
        }

        if (spec.Checkpoint.KeepLast is < 1 or > 1000)
        {
            errors.Add($"spec.checkpoint.keep_last: must be between 1 and 1000, got {spec.Checkpoint.KeepLast}");
        }

        if (spec.Threads is < 0 or > MaxThreads)
        {
            errors.Add($"spec.threads: must be between 0 and {MaxThreads}, got {spec.Threads}");
        }

        if (spec.DisplayName.Length > MaxDisplayName)
        {
            errors.Add($"spec.display_name: at most {MaxDisplayName} characters, got {spec.DisplayName.Length}");
        }
    }
}
