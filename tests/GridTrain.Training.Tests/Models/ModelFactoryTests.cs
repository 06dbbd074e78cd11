using GridTrain.Domain.Jobs;
using GridTrain.Training.Models;
using TorchSharp;

namespace GridTrain.Training.Tests.Models;

public sealed class ModelFactoryTests
{
    [Theory]
    [InlineData(28)]
    [InlineData(8)]
    [InlineData(13)]
    [InlineData(64)]
    public void Cnn_AnyImageSize_GivesOneLogitPerClass(int size)
    {
        using var model = ModelFactory.Create(new ModelSpec { Name = ModelKind.Cnn }, new ImageShape(1, size, size), classes: 7);
        using var input = torch.rand(3, 1, size, size);

        using var output = model.call(input);

        Assert.Equal([3L, 7], output.shape);
    }

    [Fact]
    public void Cnn_FashionMnist_HasTheReferenceLayers()
    {
        using var model = ModelFactory.Create(new ModelSpec { Name = ModelKind.Cnn }, new ImageShape(1, 28, 28), classes: 10);

        var shapes = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);

        Assert.Equal([32L, 1, 5, 5], shapes["conv1.weight"]);
        Assert.Equal([64L, 32, 5, 5], shapes["conv2.weight"]);
        Assert.Equal([1024L, 7 * 7 * 64], shapes["fc1.weight"]);
        Assert.Equal([10L, 1024], shapes["fc2.weight"]);
        Assert.Equal(3_274_634, model.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void Cnn_ImageSmallerThanFourPixels_IsAUserError()
    {
        Assert.Throws<TrainingUserException>(() => ModelFactory.Create(new ModelSpec { Name = ModelKind.Cnn }, new ImageShape(1, 3, 3), classes: 10));
    }

    [Fact]
    public void Mlp_HiddenSizes_BuildOneLayerEach()
    {
        using var model = ModelFactory.Create(new ModelSpec { Name = ModelKind.Mlp, HiddenSizes = [32, 16] }, new ImageShape(1, 8, 8), classes: 10);

        var shapes = model.named_parameters().Where(p => p.name.EndsWith(".weight", StringComparison.Ordinal)).Select(p => p.parameter.shape).ToList();

        Assert.Equal([[32L, 64], [16L, 32], [10L, 16]], shapes);
    }

    [Fact]
    public void Mlp_NoHiddenSizes_UsesOneLayerOf128()
    {
        using var model = ModelFactory.Create(new ModelSpec { Name = ModelKind.Mlp }, new ImageShape(1, 28, 28), classes: 10);

        Assert.Equal([128L, 784], model.named_parameters().First().parameter.shape);
    }
}
