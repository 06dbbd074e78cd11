namespace GridTrain.Domain.Jobs;

/// <summary>Checks a <see cref="JobSpec"/> and fills in defaults. Every problem names its field.</summary>
public static class JobSpecValidator
{
    /// <summary>Built-in model names.</summary>
    public static readonly IReadOnlySet<string> Models = new HashSet<string>(StringComparer.Ordinal) { "mlp", "cnn" };

    /// <summary>Supported optimizers.</summary>
    public static readonly IReadOnlySet<string> Optimizers = new HashSet<string>(StringComparer.Ordinal) { "sgd", "adam" };

    private const int MaxThreads = 256;
    private const int MaxDisplayName = 128;

    /// <summary>Returns the spec with defaults applied, or the list of problems found.</summary>
    public static ValidationResult<JobSpec> Validate(JobSpec spec)
    {
        var errors = new List<string>();

        if (!Models.Contains(spec.Model.Name))
        {
            errors.Add($"spec.model.name: unknown model '{Truncate(spec.Model.Name)}'; use one of {string.Join(", ", Models.Order())}");
        }

        for (var i = 0; i < spec.Model.HiddenSizes.Count; i++)
        {
            if (spec.Model.HiddenSizes[i] is < 1 or > 65536)
            {
                errors.Add($"spec.model.hidden_sizes[{i}]: must be between 1 and 65536, got {spec.Model.HiddenSizes[i]}");
            }
        }

        ValidateData(spec.Data, errors);

        var h = spec.Hyperparameters;
        var optimizer = string.IsNullOrEmpty(h.Optimizer) ? "adam" : h.Optimizer;
        if (!Optimizers.Contains(optimizer))
        {
            errors.Add($"spec.hyperparameters.optimizer: unknown optimizer '{Truncate(optimizer)}'; use one of {string.Join(", ", Optimizers.Order())}");
        }

        if (h.LearningRate < 0 || double.IsNaN(h.LearningRate) || double.IsInfinity(h.LearningRate))
        {
            errors.Add($"spec.hyperparameters.learning_rate: must be a positive number, got {h.LearningRate}");
        }

        if (h.BatchSize < 0 || h.BatchSize > 65536)
        {
            errors.Add($"spec.hyperparameters.batch_size: must be between 1 and 65536, got {h.BatchSize}");
        }

        if (h.Epochs < 0 || h.Epochs > 100_000)
        {
            errors.Add($"spec.hyperparameters.epochs: must be between 1 and 100000, got {h.Epochs}");
        }

        if (h.MaxSteps < 0)
        {
            errors.Add($"spec.hyperparameters.max_steps: must not be negative, got {h.MaxSteps}");
        }

        if (h.Momentum is < 0 or >= 1 || double.IsNaN(h.Momentum))
        {
            errors.Add($"spec.hyperparameters.momentum: must be in [0, 1), got {h.Momentum}");
        }

        if (spec.Checkpoint.EverySteps < 0)
        {
            errors.Add($"spec.checkpoint.every_steps: must not be negative, got {spec.Checkpoint.EverySteps}");
        }

        if (spec.Checkpoint.KeepLast < 0 || spec.Checkpoint.KeepLast > 1000)
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

        if (errors.Count > 0)
        {
            return ValidationResult<JobSpec>.Invalid(errors);
        }

        return ValidationResult<JobSpec>.Valid(spec with
        {
            Hyperparameters = h with
            {
                Optimizer = optimizer,
                LearningRate = h.LearningRate > 0 ? h.LearningRate : optimizer == "sgd" ? 0.01 : 0.001,
                BatchSize = h.BatchSize > 0 ? h.BatchSize : 64,
                Epochs = h.Epochs > 0 ? h.Epochs : 1,
                Seed = h.Seed,
            },
            Checkpoint = spec.Checkpoint with { KeepLast = spec.Checkpoint.KeepLast > 0 ? spec.Checkpoint.KeepLast : 3 },
            Data = spec.Data.Synthetic is { } synthetic
                ? spec.Data with
                {
                    Synthetic = synthetic with
                    {
                        TestExamples = synthetic.TestExamples > 0 ? synthetic.TestExamples : Math.Max(1, synthetic.TrainExamples / 5),
                        ImageSize = synthetic.ImageSize > 0 ? synthetic.ImageSize : 28,
                        Classes = synthetic.Classes > 0 ? synthetic.Classes : 10,
                    },
                }
                : spec.Data,
        });
    }

    private static void ValidateData(DataSpec data, List<string> errors)
    {
        var hasIdx = !string.IsNullOrEmpty(data.IdxDirectory);
        var hasDrive = !string.IsNullOrEmpty(data.DriveFolderId);
        if ((hasIdx ? 1 : 0) + (hasDrive ? 1 : 0) + (data.Synthetic is not null ? 1 : 0) != 1)
        {
            errors.Add("spec.data: set exactly one of idx_directory, synthetic and drive_folder_id");
        }

        if (hasDrive && (data.DriveFolderId!.Length > 200 || !data.DriveFolderId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            errors.Add($"spec.data.drive_folder_id: must be a Drive folder id (letters, digits, '-' and '_'), got '{Truncate(data.DriveFolderId)}'");
        }

        if (hasIdx && !Path.IsPathFullyQualified(data.IdxDirectory!))
        {
            errors.Add($"spec.data.idx_directory: must be an absolute path, got '{Truncate(data.IdxDirectory!)}'");
        }

        if (data.Synthetic is { } s)
        {
            if (s.TrainExamples is < 1 or > 10_000_000)
            {
                errors.Add($"spec.data.synthetic.train_examples: must be between 1 and 10000000, got {s.TrainExamples}");
            }

            if (s.TestExamples is < 0 or > 10_000_000)
            {
                errors.Add($"spec.data.synthetic.test_examples: must be between 0 and 10000000, got {s.TestExamples}");
            }

            if (s.ImageSize is < 0 or > 512 || s.ImageSize is > 0 and < 8)
            {
                errors.Add($"spec.data.synthetic.image_size: must be between 8 and 512, got {s.ImageSize}");
            }

            if (s.Classes is < 0 or 1 or > 1000)
            {
                errors.Add($"spec.data.synthetic.classes: must be between 2 and 1000, got {s.Classes}");
            }
        }

        if (data.TrainLimit < 0)
        {
            errors.Add($"spec.data.train_limit: must not be negative, got {data.TrainLimit}");
        }

        if (data.TestLimit < 0)
        {
            errors.Add($"spec.data.test_limit: must not be negative, got {data.TestLimit}");
        }
    }

    private static string Truncate(string value) => value.Length <= 64 ? value : value[..64] + "…";
}
