using GridTrain.Domain.Jobs;

namespace GridTrain.Training.Tests.Infrastructure;

/// <summary>Small, fast jobs on synthetic data.</summary>
public static class Jobs
{
    public static JobSpec Synthetic(
        string model = "mlp",
        int trainExamples = 200,
        int imageSize = 8,
        int batchSize = 32,
        int epochs = 1,
        string optimizer = "adam",
        double learningRate = 0,
        double momentum = 0,
        long maxSteps = 0,
        int everySteps = 0,
        int keepLast = 3) => new()
        {
            Model = new ModelSpec { Name = Spelled<ModelKind>(model) },
            Data = new DataSpec { Synthetic = new SyntheticDataSpec { TrainExamples = trainExamples, ImageSize = imageSize, Classes = 10 } },
            Hyperparameters = new Hyperparameters
            {
                Optimizer = Spelled<OptimizerKind>(optimizer),
                LearningRate = learningRate,
                Momentum = momentum,
                BatchSize = batchSize,
                Epochs = epochs,
                MaxSteps = maxSteps,
                Seed = 7,
            },
            Checkpoint = new CheckpointPolicy { EverySteps = everySteps, KeepLast = keepLast },
        };

    /// <summary>A small labelled table: <paramref name="rows"/> rows of three features and a label; class c has its mean at (2c, -c, c).</summary>
    public static void WriteCsv(string path, int rows, int classes = 3, long seed = 5, string? nanAtRow = null)
    {
        var random = new Random((int)seed);
        var lines = new List<string> { "width,height,depth,species" };
        for (var i = 0; i < rows; i++)
        {
            var c = i % classes;
            double Noise() => (random.NextDouble() - 0.5) * 0.8;
            var width = nanAtRow == i.ToString(System.Globalization.CultureInfo.InvariantCulture) ? "NaN" : (2 * c + Noise()).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            lines.Add(string.Join(',', width, (-c + Noise()).ToString("R", System.Globalization.CultureInfo.InvariantCulture), (c + Noise()).ToString("R", System.Globalization.CultureInfo.InvariantCulture), $"kind-{(char)('a' + c)}"));
        }

        File.WriteAllLines(path, lines);
    }

    public static WorkerRequest Request(JobSpec spec, string workDirectory, string? resumeFrom = null) => new()
    {
        JobId = "job-000000000001",
        Spec = spec,
        WorkDirectory = workDirectory,
        ResumeFrom = resumeFrom,
        Threads = 2,
    };

    /// <summary>The choice spelled <paramref name="name"/>, as a job file would give it.</summary>
    public static T Spelled<T>(string name)
        where T : struct, Enum =>
        Choice<T>.TryParse(name, out var value) ? value : throw new ArgumentException($"no {typeof(T).Name} is spelled '{name}'", nameof(name));
}
