using GridTrain.Domain.Jobs;
using TorchSharp;
using static TorchSharp.torch;

namespace GridTrain.Training.Models;

/// <summary>Builds the built-in model a <see cref="ModelSpec"/> names, for images of a given shape.</summary>
internal static class ModelFactory
{
    public static nn.Module<Tensor, Tensor> Create(ModelSpec spec, ImageShape shape, int classes) => spec.Name switch
    {
        "cnn" => ReferenceCnn.Create(shape, classes),
        "mlp" => Mlp.Create(shape, classes, HiddenSizes(spec)),
        _ => throw new TrainingUserException($"spec.model.name: unknown model '{spec.Name}'; use one of {string.Join(", ", JobSpecValidator.Models.Order())}"),
    };

    /// <summary>What a checkpoint must match to be loaded into this model.</summary>
    public static string Signature(ModelSpec spec, ImageShape shape, int classes) => spec.Name switch
    {
        "mlp" => $"mlp[{string.Join(",", HiddenSizes(spec))}] {shape} classes={classes}",
        _ => $"{spec.Name} {shape} classes={classes}",
    };

    private static IReadOnlyList<int> HiddenSizes(ModelSpec spec) => spec.HiddenSizes.Count > 0 ? spec.HiddenSizes : Mlp.DefaultHiddenSizes;
}
