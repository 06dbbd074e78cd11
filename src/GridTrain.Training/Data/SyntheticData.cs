using GridTrain.Domain.Jobs;
using GridTrain.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GridTrain.Training.Data;

/// <summary>
/// Learnable synthetic images: each class has a random prototype image, and each example is its class's prototype
/// plus Gaussian noise, clamped to [0, 1]. The same seed gives the same data, and uses its own generator, so it
/// draws nothing from the training RNG.
/// </summary>
internal static class SyntheticData
{
    /// <summary>Standard deviation of the per-pixel noise.</summary>
    public const float Noise = 0.35f;

    public static TrainingData Generate(SyntheticDataSpec spec, long seed, int trainLimit, int testLimit)
    {
        var shape = new ImageShape(1, spec.ImageSize, spec.ImageSize);
        using var generator = new Generator((ulong)seed);
        using var prototypes = torch.rand([spec.Classes, shape.Channels, shape.Height, shape.Width], generator: generator);
        var train = Sample(prototypes, Limit(spec.TrainExamples, trainLimit), generator);
        var test = Sample(prototypes, Limit(spec.TestExamples, testLimit), generator);
        var identity = $"synthetic seed={seed} size={spec.ImageSize} classes={spec.Classes} train={train.Count} test={test.Count}";
        return new TrainingData(train, test, shape, spec.Classes, identity);
    }

    private static int Limit(int count, int limit) => limit > 0 ? Math.Min(count, limit) : count;

    private static LabeledImages Sample(Tensor prototypes, int count, Generator generator)
    {
        using var scope = torch.NewDisposeScope();
        var labels = torch.randint(0, prototypes.shape[0], [count], ScalarType.Int64, generator: generator);
        var noise = torch.randn([count, .. prototypes.shape[1..]], generator: generator).mul_(Noise);
        var images = prototypes.index_select(0, labels).add_(noise).clamp_(0f, 1f);
        return new LabeledImages(images.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope());
    }
}
