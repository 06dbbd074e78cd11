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
            Model = new Jobs.ModelSpec { Name = spec.Model!.Name, HiddenSizes = [.. spec.Model.HiddenSizes] },
            Data = new Jobs.DataSpec
            {
                IdxDirectory = spec.Data!.SourceCase == Wire.DataSpec.SourceOneofCase.IdxDirectory ? spec.Data.IdxDirectory : null,
                Synthetic = spec.Data.Synthetic is { } s
                    ? new Jobs.SyntheticDataSpec { TrainExamples = s.TrainExamples, TestExamples = s.TestExamples, ImageSize = s.ImageSize, Classes = s.Classes }
                    : null,
                DriveFolderId = spec.Data.SourceCase == Wire.DataSpec.SourceOneofCase.DriveFolderId ? spec.Data.DriveFolderId : null,
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
            },
            Checkpoint = new Jobs.CheckpointPolicy { EverySteps = c.EverySteps, KeepLast = c.KeepLast },
            Threads = spec.Threads,
            DisplayName = spec.DisplayName,
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

        return new Wire.JobSpec
        {
            Model = new Wire.ModelSpec { Name = spec.Model.Name, HiddenSizes = { spec.Model.HiddenSizes } },
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
            },
            Checkpoint = new Wire.CheckpointPolicy { EverySteps = spec.Checkpoint.EverySteps, KeepLast = spec.Checkpoint.KeepLast },
            Threads = spec.Threads,
            DisplayName = spec.DisplayName,
        };
    }
}
