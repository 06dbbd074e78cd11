using System.Globalization;
using GridTrain.Domain.Jobs;

namespace GridTrain.Training.Data;

/// <summary>A one-line description of a job's data, recorded in checkpoint manifests next to its identity.</summary>
internal static class DataDescription
{
    public static string Of(DataSpec spec, long seed, TrainingData data) => spec switch
    {
        { Synthetic: { } synthetic } => string.Create(CultureInfo.InvariantCulture, $"synthetic seed={seed} size={synthetic.ImageSize} classes={synthetic.Classes} train={data.Train.Count} test={data.Test.Count}"),
        { Csv: { } csv } => string.Create(CultureInfo.InvariantCulture, $"csv {csv.TrainPath} features={data.Shape.Pixels} classes={data.Classes} train={data.Train.Count} test={data.Test.Count}"),
        _ => string.Create(CultureInfo.InvariantCulture, $"idx {spec.IdxDirectory} shape={data.Shape} classes={data.Classes} train={data.Train.Count} test={data.Test.Count}"),
    };
}
