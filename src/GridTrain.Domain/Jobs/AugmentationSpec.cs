namespace GridTrain.Domain.Jobs;

/// <summary>Random augmentation of each training batch of images (never of the test split).</summary>
public sealed record AugmentationSpec
{
    /// <summary>Mirror each image left-right with probability 1/2.</summary>
    public bool HorizontalFlip { get; init; }

    /// <summary>Pad each image by this many zero pixels per side and crop it back at a random offset; 0 means no cropping.</summary>
    public int CropPadding { get; init; }
}
