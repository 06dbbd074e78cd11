using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GridTrain.Training.Models;

/// <summary>A multi-layer perceptron: flatten → (linear → relu) per hidden size → linear classes.</summary>
internal static class Mlp
{
    public static readonly IReadOnlyList<int> DefaultHiddenSizes = [128];

    public static Module<Tensor, Tensor> Create(ImageShape shape, int classes, IReadOnlyList<int> hiddenSizes)
    {
        var layers = new List<(string, Module<Tensor, Tensor>)> { ("flatten", Flatten()) };
        var width = shape.Pixels;
        for (var i = 0; i < hiddenSizes.Count; i++)
        {
            layers.Add(($"fc{i + 1}", Linear(width, hiddenSizes[i])));
            layers.Add(($"relu{i + 1}", ReLU()));
            width = hiddenSizes[i];
        }

        layers.Add(($"fc{hiddenSizes.Count + 1}", Linear(width, classes)));
        return Sequential(layers);
    }
}
