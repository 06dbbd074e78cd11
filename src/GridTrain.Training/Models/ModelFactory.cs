using GridTrain.Domain.Jobs;
using GridTrain.Training.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace GridTrain.Training.Models;

/// <summary>Builds the model a <see cref="ModelSpec"/> names for the data it trains on.</summary>
internal static class ModelFactory
{
    /// <param name="spec">The validated model spec.</param>
    /// <param name="data">The data: its input shape and classes size built-in models.</param>
    /// <param name="workDirectory">Where an uploaded TorchScript module is written before loading.</param>
    public static TrainableModel Create(ModelSpec spec, TrainingData data, string workDirectory)
    {
        if (spec.Name == ModelKind.TorchScript)
        {
            return TorchScriptLoader.Load(spec.TorchScript!, workDirectory);
        }

        var name = Choice<ModelKind>.NameOf(spec.Name);
        if (spec.Name is ModelKind.Cnn or ModelKind.ResNet && data.IsTabular)
        {
            throw new TrainingUserException($"spec.model.name: {name} needs image data, but spec.data.csv is a table; use mlp or torchscript");
        }

        var module = Create(spec, data.Shape, data.Classes);
        return new TrainableModel(module, module, name, Signature(spec, data.Shape, data.Classes), ModelIdentity.OfShapes(name, module), isTorchScript: false);
    }

    public static nn.Module<Tensor, Tensor> Create(ModelSpec spec, ImageShape shape, int classes) => spec.Name switch
    {
        ModelKind.Cnn => ReferenceCnn.Create(shape, classes),
        ModelKind.ResNet => ResNet.Create(shape, classes),
        ModelKind.Mlp => Mlp.Create(shape, classes, HiddenSizes(spec)),
        _ => throw new ArgumentOutOfRangeException(nameof(spec), spec.Name, "not a built-in model"),
    };

    /// <summary>What a checkpoint must match to be loaded into this model.</summary>
    public static string Signature(ModelSpec spec, ImageShape shape, int classes) => spec.Name switch
    {
        ModelKind.Mlp => $"mlp[{string.Join(",", HiddenSizes(spec))}] {shape} classes={classes}",
        _ => $"{Choice<ModelKind>.NameOf(spec.Name)} {shape} classes={classes}",
    };

    private static IReadOnlyList<int> HiddenSizes(ModelSpec spec) => spec.HiddenSizes.Count > 0 ? spec.HiddenSizes : Mlp.DefaultHiddenSizes;
}
