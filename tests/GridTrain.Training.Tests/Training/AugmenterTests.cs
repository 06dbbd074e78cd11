using GridTrain.Domain.Jobs;
using TorchSharp;

namespace GridTrain.Training.Tests.Training;

public sealed class AugmenterTests
{
    [Fact]
    public void Apply_SameStep_SameAugmentation_OtherStep_Other()
    {
        var augmenter = new Augmenter(new AugmentationSpec { HorizontalFlip = true, CropPadding = 2 }, seed: 3);
        using var images = torch.arange(2 * 1 * 6 * 6, dtype: torch.float32).reshape(2, 1, 6, 6);

        using var first = augmenter.Apply(images, step: 5);
        using var again = augmenter.Apply(images, step: 5);
        using var other = augmenter.Apply(images, step: 6);

        Assert.Equal(images.shape, first.shape);
        Assert.True(first.equal(again).all().item<bool>());
        Assert.False(first.equal(images).all().item<bool>());
        Assert.False(first.equal(other).all().item<bool>());
    }

    [Fact]
    public void Apply_FlipOnly_MirrorsOrKeepsEachImage()
    {
        var augmenter = new Augmenter(new AugmentationSpec { HorizontalFlip = true }, seed: 1);
        using var images = torch.rand(16, 1, 4, 4);
        using var flipped = images.flip(3);

        using var result = augmenter.Apply(images, step: 0);

        var mirrored = 0;
        for (var i = 0; i < 16; i++)
        {
            var same = result[i].equal(images[i]).all().item<bool>();
            Assert.True(same || result[i].equal(flipped[i]).all().item<bool>());
            mirrored += same ? 0 : 1;
        }

        Assert.InRange(mirrored, 1, 15);
    }

    [Fact]
    public void Apply_Disabled_ReturnsTheBatch()
    {
        var augmenter = new Augmenter(new AugmentationSpec(), seed: 1);
        using var images = torch.rand(2, 1, 4, 4);

        Assert.False(augmenter.Enabled);
        Assert.Same(images, augmenter.Apply(images, 0));
    }
}
