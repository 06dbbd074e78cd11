using GridTrain.Domain;
using GridTrain.Domain.Jobs;

namespace GridTrain.Contracts.Mapping;

/// <summary>
/// Job specs between the wire and the domain. Shape problems (missing messages) and unknown choices (a model, optimizer,
/// schedule, metric, normalization or device the domain has no member for) are reported by field, every one at once.
/// </summary>
public static class SpecMapping
{
    public static JobSpec ToDomain(this Protos.V1.JobSpec? spec, string field = "spec")
    {
        if (spec is null)
        {
            throw new GridException(GridError.InvalidArgument, $"{field}: required");
        }

        if (spec.Command is { } command)
        {
            return CommandToDomain(spec, command, field);
        }

        var problems = new List<string>();
        if (spec.Model is null)
        {
            problems.Add($"{field}.model: required");
        }

        if (spec.Data is null)
        {
            problems.Add($"{field}.data: required");
        }

        if (problems.Count > 0)
        {
            throw GridException.Invalid(problems);
        }

        var h = spec.Hyperparameters ?? new Protos.V1.Hyperparameters();
        var c = spec.Checkpoint ?? new Protos.V1.CheckpointPolicy();
        var mapped = new JobSpec
        {
            Model = new ModelSpec
            {
                Name = Choice<ModelKind>.Parse(spec.Model!.Name, null, $"{field}.model.name", "model", problems),
                HiddenSizes = [.. spec.Model.HiddenSizes],
                TorchScript = spec.Model.Torchscript is { } script
                    ? new TorchScriptSpec { Path = NullIfEmpty(script.Path), Module = script.Module.IsEmpty ? null : script.Module.ToByteArray(), DriveFileId = NullIfEmpty(script.DriveFileId) }
                    : null,
            },
            Data = new DataSpec
            {
                IdxDirectory = spec.Data!.SourceCase == Protos.V1.DataSpec.SourceOneofCase.IdxDirectory ? spec.Data.IdxDirectory : null,
                Synthetic = spec.Data.Synthetic is { } s
                    ? new SyntheticDataSpec { TrainExamples = s.TrainExamples, TestExamples = s.TestExamples, ImageSize = s.ImageSize, Classes = s.Classes }
                    : null,
                DriveFolderId = spec.Data.SourceCase == Protos.V1.DataSpec.SourceOneofCase.DriveFolderId ? spec.Data.DriveFolderId : null,
                Csv = spec.Data.Csv is { } csv
                    ? new CsvDataSpec
                    {
                        TrainPath = csv.TrainPath,
                        TestPath = NullIfEmpty(csv.TestPath),
                        LabelColumn = csv.LabelColumn,
                        FeatureColumns = [.. csv.FeatureColumns],
                        Normalization = Choice<CsvNormalization>.Parse(csv.Normalization, JobSpecDefaults.Normalization, $"{field}.data.csv.normalization", "normalization", problems),
                        TestFraction = csv.TestFraction,
                    }
                    : null,
                Augmentation = spec.Data.Augmentation is { } a ? new AugmentationSpec { HorizontalFlip = a.HorizontalFlip, CropPadding = a.CropPadding } : null,
                TrainLimit = spec.Data.TrainLimit,
                TestLimit = spec.Data.TestLimit,
            },
            Hyperparameters = new Hyperparameters
            {
                Optimizer = Choice<OptimizerKind>.Parse(h.Optimizer, JobSpecDefaults.Optimizer, $"{field}.hyperparameters.optimizer", "optimizer", problems),
                LearningRate = h.LearningRate,
                BatchSize = h.BatchSize,
                Epochs = h.Epochs,
                MaxSteps = h.MaxSteps,
                Seed = spec.Hyperparameters is null ? JobSpecDefaults.Seed : h.Seed,
                Momentum = h.Momentum,
                Nesterov = h.Nesterov,
                WeightDecay = h.WeightDecay,
                Schedule = h.Schedule is { } schedule
                    ? new LearningRateSchedule
                    {
                        Name = Choice<ScheduleKind>.Parse(schedule.Name, JobSpecDefaults.Schedule, $"{field}.hyperparameters.schedule.name", "schedule", problems),
                        StepEpochs = schedule.StepEpochs,
                        Gamma = schedule.Gamma,
                        WarmupSteps = schedule.WarmupSteps,
                        MinLearningRate = schedule.MinLearningRate,
                    }
                    : null,
                GradientClipNorm = h.GradientClipNorm,
                EarlyStopping = h.EarlyStopping is { } stopping
                    ? new EarlyStoppingSpec { Metric = Choice<EvaluationMetric>.Parse(stopping.Metric, JobSpecDefaults.Metric, $"{field}.hyperparameters.early_stopping.metric", "metric", problems), Patience = stopping.Patience, MinDelta = stopping.MinDelta }
                    : null,
            },
            Checkpoint = new CheckpointPolicy { EverySteps = c.EverySteps, KeepLast = c.KeepLast },
            Threads = spec.Threads,
            DisplayName = spec.DisplayName,
            Device = Choice<DeviceKind>.Parse(spec.Device, JobSpecDefaults.Device, $"{field}.device", "device", problems),
        };
        return problems.Count > 0 ? throw GridException.Invalid(problems) : mapped;
    }

    public static Protos.V1.JobSpec ToProto(this JobSpec spec)
    {
        if (spec.Command is { } command)
        {
            return CommandToProto(spec, command);
        }

        var data = new Protos.V1.DataSpec { TrainLimit = spec.Data.TrainLimit, TestLimit = spec.Data.TestLimit };
        if (spec.Data.IdxDirectory is { } idx)
        {
            data.IdxDirectory = idx;
        }
        else if (spec.Data.Synthetic is { } s)
        {
            data.Synthetic = new Protos.V1.SyntheticData { TrainExamples = s.TrainExamples, TestExamples = s.TestExamples, ImageSize = s.ImageSize, Classes = s.Classes };
        }
        else if (spec.Data.DriveFolderId is { } folder)
        {
            data.DriveFolderId = folder;
        }

        if (spec.Data.Csv is { } csv)
        {
            data.Csv = new Protos.V1.CsvData
            {
                TrainPath = csv.TrainPath,
                TestPath = csv.TestPath ?? "",
                LabelColumn = csv.LabelColumn,
                FeatureColumns = { csv.FeatureColumns },
                Normalization = Choice<CsvNormalization>.NameOf(csv.Normalization),
                TestFraction = csv.TestFraction,
            };
        }

        if (spec.Data.Augmentation is { } augmentation)
        {
            data.Augmentation = new Protos.V1.Augmentation { HorizontalFlip = augmentation.HorizontalFlip, CropPadding = augmentation.CropPadding };
        }

        var model = new Protos.V1.ModelSpec { Name = Choice<ModelKind>.NameOf(spec.Model.Name), HiddenSizes = { spec.Model.HiddenSizes } };
        if (spec.Model.TorchScript is { } script)
        {
            model.Torchscript = new Protos.V1.TorchScriptModel
            {
                Path = script.Path ?? "",
                Module = script.Module is { } bytes ? Google.Protobuf.ByteString.CopyFrom(bytes) : Google.Protobuf.ByteString.Empty,
                DriveFileId = script.DriveFileId ?? "",
            };
        }

        var h = spec.Hyperparameters;

        return new Protos.V1.JobSpec
        {
            Model = model,
            Data = data,
            Hyperparameters = new Protos.V1.Hyperparameters
            {
                Optimizer = Choice<OptimizerKind>.NameOf(spec.Hyperparameters.Optimizer),
                LearningRate = spec.Hyperparameters.LearningRate,
                BatchSize = spec.Hyperparameters.BatchSize,
                Epochs = spec.Hyperparameters.Epochs,
                MaxSteps = spec.Hyperparameters.MaxSteps,
                Seed = spec.Hyperparameters.Seed,
                Momentum = spec.Hyperparameters.Momentum,
                Nesterov = h.Nesterov,
                WeightDecay = h.WeightDecay,
                Schedule = h.Schedule is { } schedule
                    ? new Protos.V1.LearningRateSchedule
                    {
                        Name = Choice<ScheduleKind>.NameOf(schedule.Name),
                        StepEpochs = schedule.StepEpochs,
                        Gamma = schedule.Gamma,
                        WarmupSteps = schedule.WarmupSteps,
                        MinLearningRate = schedule.MinLearningRate,
                    }
                    : null,
                GradientClipNorm = h.GradientClipNorm,
                EarlyStopping = h.EarlyStopping is { } stopping
                    ? new Protos.V1.EarlyStopping { Metric = Choice<EvaluationMetric>.NameOf(stopping.Metric), Patience = stopping.Patience, MinDelta = stopping.MinDelta }
                    : null,
            },
            Checkpoint = new Protos.V1.CheckpointPolicy { EverySteps = spec.Checkpoint.EverySteps, KeepLast = spec.Checkpoint.KeepLast },
            Threads = spec.Threads,
            DisplayName = spec.DisplayName,
            Device = Choice<DeviceKind>.NameOf(spec.Device),
        };
    }

    private static JobSpec CommandToDomain(Protos.V1.JobSpec spec, Protos.V1.CommandSpec command, string field)
    {
        var problems = new List<string>();
        if (spec.Model is not null)
        {
            problems.Add($"{field}.model: a command job runs its own program; leave the model unset");
        }

        if (spec.Data is not null)
        {
            problems.Add($"{field}.data: a command job reads its own data; leave data unset (use {field}.command.files or {field}.command.drive_folder_id)");
        }

        if (spec.Hyperparameters is not null)
        {
            problems.Add($"{field}.hyperparameters: a command job reads its own settings; pass them as arguments or environment");
        }

        if (spec.Checkpoint is { EverySteps: not 0 })
        {
            problems.Add($"{field}.checkpoint.every_steps: a command job checkpoints when it renames a file into GRIDTRAIN_CHECKPOINT_DIR; only keep_last applies");
        }

        var c = spec.Checkpoint ?? new Protos.V1.CheckpointPolicy();
        var mapped = JobSpec.ForCommand(new CommandSpec
        {
            Argv = [.. command.Argv],
            Environment = command.Environment.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal),
            WorkingDirectory = command.WorkingDirectory,
            Files = command.Files.IsEmpty ? null : command.Files.ToByteArray(),
            DriveFolderId = NullIfEmpty(command.DriveFolderId),
        }) with
        {
            Checkpoint = new CheckpointPolicy { EverySteps = c.EverySteps, KeepLast = c.KeepLast },
            Threads = spec.Threads,
            DisplayName = spec.DisplayName,
            Device = Choice<DeviceKind>.Parse(spec.Device, JobSpecDefaults.Device, $"{field}.device", "device", problems),
        };
        return problems.Count > 0 ? throw GridException.Invalid(problems) : mapped;
    }

    private static Protos.V1.JobSpec CommandToProto(JobSpec spec, CommandSpec command) => new()
    {
        Command = new Protos.V1.CommandSpec
        {
            Argv = { command.Argv },
            Environment = { command.Environment.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal) },
            WorkingDirectory = command.WorkingDirectory,
            Files = command.Files is { } files ? Google.Protobuf.ByteString.CopyFrom(files) : Google.Protobuf.ByteString.Empty,
            DriveFolderId = command.DriveFolderId ?? "",
        },
        Checkpoint = new Protos.V1.CheckpointPolicy { EverySteps = spec.Checkpoint.EverySteps, KeepLast = spec.Checkpoint.KeepLast },
        Threads = spec.Threads,
        DisplayName = spec.DisplayName,
        Device = Choice<DeviceKind>.NameOf(spec.Device),
    };

    private static string? NullIfEmpty(string value) => value.Length > 0 ? value : null;
}
