using GridTrain.Domain.Jobs;
using GridTrain.Training.Data;
using GridTrain.Training.Tests.Infrastructure;
using TorchSharp;

namespace GridTrain.Training.Tests.Data;

public sealed class SyntheticDataTests
{
    private static readonly SyntheticDataSpec s_spec = new() { TrainExamples = 100, TestExamples = 30, ImageSize = 8, Classes = 5 };

    [Fact]
    public void Generate_SameSeed_SameData()
    {
        using var first = SyntheticData.Generate(s_spec, seed: 3, trainLimit: 0, testLimit: 0);
        torch.manual_seed(12345);
        using var second = SyntheticData.Generate(s_spec, seed: 3, trainLimit: 0, testLimit: 0);

        Assert.True(Tensors.Identical(first.Train.Images, second.Train.Images));
        Assert.True(Tensors.Identical(first.Train.Labels, second.Train.Labels));
        Assert.True(Tensors.Identical(first.Test.Images, second.Test.Images));
    }

    [Fact]
    public void Generate_DifferentSeed_DifferentData()
    {
        using var first = SyntheticData.Generate(s_spec, seed: 3, trainLimit: 0, testLimit: 0);
        using var second = SyntheticData.Generate(s_spec, seed: 4, trainLimit: 0, testLimit: 0);

        Assert.False(Tensors.Identical(first.Train.Images, second.Train.Images));
    }

    [Fact]
    public void Generate_ShapesRangesAndLimits()
    {
        using var data = SyntheticData.Generate(s_spec, seed: 1, trainLimit: 40, testLimit: 0);

        Assert.Equal([40L, 1, 8, 8], data.Train.Images.shape);
        Assert.Equal(30, data.Test.Count);
        Assert.Equal(5, data.Classes);
        Assert.True(data.Train.Images.min().item<float>() >= 0f);
        Assert.True(data.Train.Images.max().item<float>() <= 1f);
        Assert.True(data.Train.Labels.max().item<long>() < 5);
    }
}
