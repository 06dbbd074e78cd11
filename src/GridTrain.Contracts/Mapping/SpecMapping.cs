using GridTrain.Domain;
using Jobs = GridTrain.Domain.Jobs;
using Wire = GridTrain.Protos.V1;

namespace GridTrain.Contracts.Mapping;

/// <summary>Job specs between the wire and the domain. Shape problems (missing messages) are reported by field.</summary>
public static class SpecMapping
{
    public static Jobs.JobSpec ToDomain(this Wire.JobSpec? spec, string field = "spec")
    {
        if (spec is null)
        {
            throw new GridException(GridError.InvalidArgument, $"{field}: required");
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

        var h = spec.Hyperparameters ?? new Wire.Hyperparameters();
        var c = spec.Checkpoint ?? new Wire.CheckpointPolicy();
        return new Jobs.JobSpec
        {
            Model = new Jobs.ModelSpec
            {
                Name = spec.Model!.Name,
                HiddenSizes = [.. spec.Model.HiddenSizes],
                TorchScript = spec.Model.Torchscript is { } script
                    ? new Jobs.TorchScriptSpec { Path = NullIfEmpty(script.Path), Module = script.Module.IsEmpty ? null : script.Module.ToByteArray(), DriveFileId = NullIfEmpty(script.DriveFileId) }
                    : null,
            },
            Data = new Jobs.DataSpec
            {
                IdxDirectory = spec.Data!.SourceCase == Wire.DataSpec.SourceOneofCase.IdxDirectory ? spec.Data.IdxDirectory : null,
                Synthetic = spec.Data.Synthetic is { } s
                    ? new Jobs.SyntheticDataSpec { TrainExamples = s.TrainExamples, TestExamples = s.TestExamples, ImageSize = s.ImageSize, Classes = s.Classes }
                    : null,
                DriveFolderId = spec.Data.SourceCase == Wire.DataSpec.SourceOneofCase.DriveFolderId ? spec.Data.DriveFolderId : null,
                Csv = spec.Data.Csv is { } csv
                    ? new Jobs.CsvDataSpec
                    {
                        TrainPath = csv.TrainPath,
                        TestPath = NullIfEmpty(csv.TestPath),
                        LabelColumn = csv.LabelColumn,
                        FeatureColumns = [.. csv.FeatureColumns],
                        Normalization = csv.Normalization,
                        TestFraction = csv.TestFraction,
                    }
                    : null,
                Augmentation = spec.Data.Augmentation is { } a ? new Jobs.AugmentationSpec { HorizontalFlip = a.HorizontalFlip, CropPadding = a.CropPadding } : null,
                TrainLimit = spec.Data.TrainLimit,
                TestLimit = spec.Data.TestLimit,
            },
            Hyperparameters = new Jobs.Hyperparameters
            {
                Optimizer = h.Optimizer,
                LearningRate = h.LearningRate,
                BatchSize = h.BatchSize,
                Epochs = h.Epochs,
                MaxSteps = h.MaxSteps,
                Seed = spec.Hyperparameters is null ? 1 : h.Seed,
                Momentum = h.Momentum,
                Nesterov = h.Nesterov,
                WeightDecay = h.WeightDecay,
                Schedule = h.Schedule is { } schedule
                    ? new Jobs.LearningRateSchedule
                    {
                        Name = schedule.Name,
                        StepEpochs = schedule.StepEpochs,
                        Gamma = schedule.Gamma,
                        WarmupSteps = schedule.WarmupSteps,
                        MinLearningRate = schedule.MinLearningRate,
                    }
                    : null,
                GradientClipNorm = h.GradientClipNorm,
                EarlyStopping = h.EarlyStopping is { } stopping
                    ? new Jobs.EarlyStoppingSpec { Metric = stopping.Metric, Patience = stopping.Patience, MinDelta = stopping.MinDelta }
                    : null,
            },
            Checkpoint = new Jobs.CheckpointPolicy { EverySteps = c.EverySteps, KeepLast = c.KeepLast },
            Threads = spec.Threads,
            DisplayName = spec.DisplayName,
            Device = spec.Device,
        };
    }

    public static Wire.JobSpec ToProto(this Jobs.JobSpec spec)
    {
        var data = new Wire.DataSpec { TrainLimit = spec.Data.TrainLimit, TestLimit = spec.Data.TestLimit };
        if (spec.Data.IdxDirectory is { } idx)
        {
            data.IdxDirectory = idx;
        }
        else if (spec.Data.Synthetic is { } s)
        {
            data.Synthetic = new Wire.SyntheticData { TrainExamples = s.TrainExamples, TestExamples = s.TestExamples, ImageSize = s.ImageSize, Classes = s.Classes };
        }
        else if (spec.Data.DriveFolderId is { } folder)
        {
            data.DriveFolderId = folder;
        }

        if (spec.Data.Csv is { } csv)
        {
            data.Csv = new Wire.CsvData
            {
                TrainPath = csv.TrainPath,
                TestPath = csv.TestPath ?? "",
                LabelColumn = csv.LabelColumn,
                FeatureColumns = { csv.FeatureColumns },
                Normalization = csv.Normalization,
                TestFraction = csv.TestFraction,
            };
        }

        if (spec.Data.Augmentation is { } augmentation)
        {
            data.Augmentation = new Wire.Augmentation { HorizontalFlip = augmentation.HorizontalFlip, CropPadding = augmentation.CropPadding };
        }

        var model = new Wire.ModelSpec { Name = spec.Model.Name, HiddenSizes = { spec.Model.HiddenSizes } };
        if (spec.Model.TorchScript is { } script)
        {
            model.Torchscript = new Wire.TorchScriptModel
            {
                Path = script.Path ?? "",
                Module = script.Module is { } bytes ? Google.Protobuf.ByteString.CopyFrom(bytes) : Google.Protobuf.ByteString.Empty,
                DriveFileId = script.DriveFileId ?? "",
            };
        }

        var h = spec.Hyperparameters;

        return new Wire.JobSpec
        {
            Model = model,
            Data = data,
            Hyperparameters = new Wire.Hyperparameters
            {
                Optimizer = spec.Hyperparameters.Optimizer,
                LearningRate = spec.Hyperparameters.LearningRate,
                BatchSize = spec.Hyperparameters.BatchSize,
                Epochs = spec.Hyperparameters.Epochs,
                MaxSteps = spec.Hyperparameters.MaxSteps,
                Seed = spec.Hyperparameters.Seed,
                Momentum = spec.Hyperparameters.Momentum,
                Nesterov = h.Nesterov,
                WeightDecay = h.WeightDecay,
                Schedule = h.Schedule is { } schedule
                    ? new Wire.LearningRateSchedule
                    {
                        Name = schedule.Name,
                        StepEpochs = schedule.StepEpochs,
                        Gamma = schedule.Gamma,
                        WarmupSteps = schedule.WarmupSteps,
                        MinLearningRate = schedule.MinLearningRate,
                    }
                    : null,
                GradientClipNorm = h.GradientClipNorm,
                EarlyStopping = h.EarlyStopping is { } stopping
                    ? new Wire.EarlyStopping { Metric = stopping.Metric, Patience = stopping.Patience, MinDelta = stopping.MinDelta }
                    : null,
            },
            Checkpoint = new Wire.CheckpointPolicy { EverySteps = spec.Checkpoint.EverySteps, KeepLast = spec.Checkpoint.KeepLast },
            Threads = spec.Threads,
            DisplayName = spec.DisplayName,
            Device = spec.Device,
        };
    }

    private static string? NullIfEmpty(string value) => value.Length > 0 ? value : null;
}
