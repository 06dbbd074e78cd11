using static TorchSharp.torch;

namespace GridTrain.Training.Tests.Infrastructure;

public static class Tensors
{
    /// <summary>Same shape, type and every value bit for bit (<c>torch.equal</c>).</summary>
    public static bool Identical(Tensor expected, Tensor actual) =>
        expected.shape.SequenceEqual(actual.shape) && expected.dtype == actual.dtype && expected.Equals(actual);
}
