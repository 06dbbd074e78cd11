namespace GridTrain.Domain.Jobs;

/// <summary>Checks a <see cref="JobSpec"/> and fills in defaults. Every problem names its field.</summary>
public static class JobSpecValidator
{
    /// <summary>Built-in model names.</summary>
    public static readonly IReadOnlySet<string> Models = new HashSet<string>(StringComparer.Ordinal) { "mlp", "cnn", "resnet", "torchscript" };

    /// <summary>Supported optimizers.</summary>
    public static readonly IReadOnlySet<string> Optimizers = new HashSet<string>(StringComparer.Ordinal) { "sgd", "adam", "adamw" };

    /// <summary>Learning-rate schedules.</summary>
    public static readonly IReadOnlySet<string> Schedules = new HashSet<string>(StringComparer.Ordinal) { "constant", "step", "cosine" };

    /// <summary>Metrics for early stopping and best-model tracking.</summary>
    public static readonly IReadOnlySet<string> Metrics = new HashSet<string>(StringComparer.Ordinal) { "test_loss", "test_accuracy" };

    /// <summary>Devices a job may ask for.</summary>
    public static readonly IReadOnlySet<string> Devices = new HashSet<string>(StringComparer.Ordinal) { "auto", "cpu", "cuda" };

    /// <summary>CSV feature normalizations.</summary>
    public static readonly IReadOnlySet<string> Normalizations = new HashSet<string>(StringComparer.Ordinal) { "standard", "minmax", "none" };

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

        ValidateTorchScript(spec.Model, errors);
        ValidateData(spec.Data, errors);
        var device = string.IsNullOrEmpty(spec.Device) ? "auto" : spec.Device;
        if (!Devices.Contains(device))
        {
            errors.Add($"spec.device: unknown device '{Truncate(device)}'; use one of {string.Join(", ", Devices.Order())}");
        }

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

        if (h.Nesterov && (optimizer != "sgd" || h.Momentum <= 0))
        {
            errors.Add("spec.hyperparameters.nesterov: needs optimizer sgd with momentum > 0");
        }

        if (h.WeightDecay < 0 || double.IsNaN(h.WeightDecay) || double.IsInfinity(h.WeightDecay))
        {
            errors.Add($"spec.hyperparameters.weight_decay: must be a non-negative number, got {h.WeightDecay}");
        }

        if (h.GradientClipNorm < 0 || double.IsNaN(h.GradientClipNorm) || double.IsInfinity(h.GradientClipNorm))
        {
            errors.Add($"spec.hyperparameters.gradient_clip_norm: must be a non-negative number, got {h.GradientClipNorm}");
        }

        var schedule = ValidateSchedule(h.Schedule, errors);
        var earlyStopping = ValidateEarlyStopping(h.EarlyStopping, errors);

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
                WeightDecay = h.WeightDecay == 0 && optimizer == "adamw" ? 0.01 : h.WeightDecay,
                Schedule = schedule,
                EarlyStopping = earlyStopping,
            },
            Device = device,
            Checkpoint = spec.Checkpoint with { KeepLast = spec.Checkpoint.KeepLast > 0 ? spec.Checkpoint.KeepLast : 3 },
            Data = WithDefaults(spec.Data),
        });
    }

    private static DataSpec WithDefaults(DataSpec data) => data switch
    {
        { Synthetic: { } synthetic } => data with
        {
            Synthetic = synthetic with
            {
                TestExamples = synthetic.TestExamples > 0 ? synthetic.TestExamples : Math.Max(1, synthetic.TrainExamples / 5),
                ImageSize = synthetic.ImageSize > 0 ? synthetic.ImageSize : 28,
                Classes = synthetic.Classes > 0 ? synthetic.Classes : 10,
            },
        },
        { Csv: { } csv } => data with
        {
            Csv = csv with
            {
                Normalization = string.IsNullOrEmpty(csv.Normalization) ? "standard" : csv.Normalization,
                TestFraction = csv.TestFraction > 0 ? csv.TestFraction : 0.2,
                TestPath = string.IsNullOrEmpty(csv.TestPath) ? null : csv.TestPath,
            },
        },
        _ => data,
    };

    /// <summary>Drive ids are URL-safe: letters, digits, '-' and '_'; at most 200 characters here.</summary>
    private static bool IsDriveId(string id) => id.Length <= 200 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static void ValidateTorchScript(ModelSpec model, List<string> errors)
    {
        if (model.Name != "torchscript")
        {
            if (model.TorchScript is not null)
            {
                errors.Add($"spec.model.torchscript: only for model torchscript, not '{Truncate(model.Name)}'");
            }

            return;
        }

        var script = model.TorchScript;
        var hasPath = !string.IsNullOrEmpty(script?.Path);
        var hasModule = script?.Module is { Length: > 0 };
        var hasDrive = !string.IsNullOrEmpty(script?.DriveFileId);
        if ((hasPath ? 1 : 0) + (hasModule ? 1 : 0) + (hasDrive ? 1 : 0) != 1)
        {
            errors.Add("spec.model.torchscript: set exactly one of path (a .pt file on the agent), module (the file's bytes) and drive_file_id (a .pt file on Google Drive)");
        }

        if (hasDrive && !IsDriveId(script!.DriveFileId!))
        {
            errors.Add($"spec.model.torchscript.drive_file_id: must be a Drive file id (letters, digits, '-' and '_'), got '{Truncate(script.DriveFileId!)}'");
        }

        if (hasPath && !Path.IsPathFullyQualified(script!.Path!))
        {
            errors.Add($"spec.model.torchscript.path: must be an absolute path, got '{Truncate(script.Path!)}'");
        }

        if (hasModule && script!.Module!.Length > TorchScriptSpec.MaxModuleBytes)
        {
            errors.Add($"spec.model.torchscript.module: at most {TorchScriptSpec.MaxModuleBytes} bytes, got {script.Module.Length}; put larger modules on the agent and give their path");
        }
    }

    private static LearningRateSchedule? ValidateSchedule(LearningRateSchedule? schedule, List<string> errors)
    {
        if (schedule is null)
        {
            return null;
        }

        var name = string.IsNullOrEmpty(schedule.Name) ? "constant" : schedule.Name;
        if (!Schedules.Contains(name))
        {
            errors.Add($"spec.hyperparameters.schedule.name: unknown schedule '{Truncate(name)}'; use one of {string.Join(", ", Schedules.Order())}");
        }

        if (schedule.StepEpochs < 0)
        {
            errors.Add($"spec.hyperparameters.schedule.step_epochs: must not be negative, got {schedule.StepEpochs}");
        }

        if (schedule.Gamma is < 0 or > 1 || double.IsNaN(schedule.Gamma))
        {
            errors.Add($"spec.hyperparameters.schedule.gamma: must be in (0, 1], got {schedule.Gamma}");
        }

        if (schedule.WarmupSteps < 0)
        {
            errors.Add($"spec.hyperparameters.schedule.warmup_steps: must not be negative, got {schedule.WarmupSteps}");
        }

        if (schedule.MinLearningRate < 0 || double.IsNaN(schedule.MinLearningRate) || double.IsInfinity(schedule.MinLearningRate))
        {
            errors.Add($"spec.hyperparameters.schedule.min_learning_rate: must be a non-negative number, got {schedule.MinLearningRate}");
        }

        return schedule with
        {
            Name = name,
            StepEpochs = schedule.StepEpochs > 0 ? schedule.StepEpochs : 1,
            Gamma = schedule.Gamma > 0 ? schedule.Gamma : 0.1,
        };
    }

    private static EarlyStoppingSpec? ValidateEarlyStopping(EarlyStoppingSpec? earlyStopping, List<string> errors)
    {
        if (earlyStopping is null)
        {
            return null;
        }

        var metric = string.IsNullOrEmpty(earlyStopping.Metric) ? "test_loss" : earlyStopping.Metric;
        if (!Metrics.Contains(metric))
        {
            errors.Add($"spec.hyperparameters.early_stopping.metric: unknown metric '{Truncate(metric)}'; use one of {string.Join(", ", Metrics.Order())}");
        }

        if (earlyStopping.Patience is < 0 or > 100_000)
        {
            errors.Add($"spec.hyperparameters.early_stopping.patience: must be between 1 and 100000, got {earlyStopping.Patience}");
        }

        if (earlyStopping.MinDelta < 0 || double.IsNaN(earlyStopping.MinDelta) || double.IsInfinity(earlyStopping.MinDelta))
        {
            errors.Add($"spec.hyperparameters.early_stopping.min_delta: must be a non-negative number, got {earlyStopping.MinDelta}");
        }

        return earlyStopping with { Metric = metric, Patience = earlyStopping.Patience > 0 ? earlyStopping.Patience : 3 };
    }

    private static void ValidateData(DataSpec data, List<string> errors)
    {
        var hasIdx = !string.IsNullOrEmpty(data.IdxDirectory);
        var hasDrive = !string.IsNullOrEmpty(data.DriveFolderId);
        var sources = (hasIdx ? 1 : 0) + (hasDrive ? 1 : 0) + (data.Synthetic is null ? 0 : 1) + (data.Csv is null ? 0 : 1);
        if (sources != 1)
        {
            errors.Add("spec.data: set exactly one of idx_directory, csv, synthetic and drive_folder_id");
        }

        if (hasDrive && !IsDriveId(data.DriveFolderId!))
        {
            errors.Add($"spec.data.drive_folder_id: must be a Drive folder id (letters, digits, '-' and '_'), got '{Truncate(data.DriveFolderId!)}'");
        }

        if (data.Csv is { } csv)
        {
            ValidateCsv(csv, errors);
            if (data.Augmentation is not null)
            {
                errors.Add("spec.data.augmentation: only for image data (idx_directory, synthetic or drive_folder_id), not csv");
            }
        }

        if (data.Augmentation is { CropPadding: < 0 or > 64 } augmentation)
        {
            errors.Add($"spec.data.augmentation.crop_padding: must be between 0 and 64, got {augmentation.CropPadding}");

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

    private static void ValidateCsv(CsvDataSpec csv, List<string> errors)
    {
        if (string.IsNullOrEmpty(csv.TrainPath) || !Path.IsPathFullyQualified(csv.TrainPath))
        {
            errors.Add($"spec.data.csv.train_path: must be an absolute path, got '{Truncate(csv.TrainPath ?? "")}'");
        }

        if (!string.IsNullOrEmpty(csv.TestPath) && !Path.IsPathFullyQualified(csv.TestPath))
        {
            errors.Add($"spec.data.csv.test_path: must be an absolute path, got '{Truncate(csv.TestPath)}'");
        }

        var normalization = string.IsNullOrEmpty(csv.Normalization) ? "standard" : csv.Normalization;
        if (!Normalizations.Contains(normalization))
        {
            errors.Add($"spec.data.csv.normalization: unknown normalization '{Truncate(normalization)}'; use one of {string.Join(", ", Normalizations.Order())}");
        }

        if (csv.TestFraction is < 0 or > 0.9 || double.IsNaN(csv.TestFraction))
        {
            errors.Add($"spec.data.csv.test_fraction: must be in [0, 0.9], got {csv.TestFraction}");
        }

        if (csv.FeatureColumns.Contains(csv.LabelColumn) && csv.LabelColumn.Length > 0)
        {
            errors.Add($"spec.data.csv.feature_columns: must not include the label column '{Truncate(csv.LabelColumn)}'");
        }
    }

    private static string Truncate(string value) => value.Length <= 64 ? value : value[..64] + "…";
}
