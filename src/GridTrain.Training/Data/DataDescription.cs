using System.Globalization;
using GridTrain.Domain.Jobs;

namespace GridTrain.Training.Data;

/// <summary>A one-line identity of a job's data, recorded in checkpoint manifests.</summary>
internal static class DataDescription
{
    public static string Of(DataSpec spec, long seed, TrainingData data) => spec.Synthetic is { } synthetic
        ? string.Create(CultureInfo.InvariantCulture, $"synthetic seed={seed} size={synthetic.ImageSize} classes={synthetic.Classes} train={data.Train.Count} test={data.Test.Count}")
        : string.Create(CultureInfo.InvariantCulture, $"idx {spec.IdxDirectory} shape={data.Shape} classes={data.Classes} train={data.Train.Count} test={data.Test.Count}");
}
