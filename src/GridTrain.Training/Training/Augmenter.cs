using GridTrain.Domain.Jobs;
using GridTrain.Training.Data;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GridTrain.Training;

/// <summary>
/// Random flips and crops of a training batch, drawn from a generator seeded by (seed, step): the same step of a resumed
/// run sees the same augmentation, and no draw is taken from the training RNG.
/// </summary>
internal sealed class Augmenter
{
    private const ulong StepSalt = 0xA0761D6478BD642FUL;
    private readonly AugmentationSpec? _spec;
    private readonly long _seed;

    public Augmenter(AugmentationSpec? spec, long seed)
    {
        _spec = spec is { HorizontalFlip: false, CropPadding: 0 } ? null : spec;
        _seed = seed;
    }

    public bool Enabled => _spec is not null;

    /// <summary>Augments [N, C, H, W] <paramref name="images"/> for step <paramref name="step"/>; call inside a dispose scope.</summary>
    public Tensor Apply(Tensor images, long step)
    {
        if (_spec is null)
        {
            return images;
        }

        var random = new SplitMix64((ulong)_seed ^ ((ulong)step * StepSalt));
        random.Next();
        var count = (int)images.shape[0];
        var height = images.shape[2];
        var width = images.shape[3];
        var padding = _spec.CropPadding;
        var padded = padding > 0 ? functional.pad(images, [padding, padding, padding, padding]) : images;
        var flipped = _spec.HorizontalFlip ? images.flip(3) : null;
        var flippedPadded = flipped is not null && padding > 0 ? functional.pad(flipped, [padding, padding, padding, padding]) : flipped;
        var examples = new Tensor[count];
        for (var i = 0; i < count; i++)
        {
            var flip = _spec.HorizontalFlip && random.NextBelow(2) == 1;
            var source = flip ? flippedPadded! : padded;
            var top = padding > 0 ? random.NextBelow((2 * padding) + 1) : 0;
            var left = padding > 0 ? random.NextBelow((2 * padding) + 1) : 0;
            examples[i] = source[i].narrow(1, top, height).narrow(2, left, width);
        }

        return torch.stack(examples);
    }
}
