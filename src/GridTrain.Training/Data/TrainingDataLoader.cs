using GridTrain.Domain.Jobs;

namespace GridTrain.Training.Data;

/// <summary>Loads the data a validated <see cref="DataSpec"/> describes.</summary>
internal static class TrainingDataLoader
{
    public static TrainingData Load(DataSpec spec, long seed) => spec switch
    {
        { Synthetic: { } synthetic } => SyntheticData.Generate(synthetic, seed, spec.TrainLimit, spec.TestLimit),
        { Csv: { } csv } => CsvDataLoader.Load(csv, seed, spec.TrainLimit, spec.TestLimit),
        _ => IdxDataLoader.Load(spec.IdxDirectory!, spec.TrainLimit, spec.TestLimit),
    };
}
