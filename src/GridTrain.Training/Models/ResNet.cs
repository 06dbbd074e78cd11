using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GridTrain.Training.Models;

/// <summary>
/// A small residual network for small images: a 3x3 stem of <see cref="Width"/> channels, three stages of one
/// <see cref="ResidualBlock"/> each (width ×1, ×2 with stride 2, ×4 with stride 2), global average pooling and a linear
/// classifier. About 0.2 M parameters; any image of at least <see cref="MinimumSize"/> pixels fits.
/// </summary>
internal static class ResNet
{
    public const int Width = 16;
    public const int MinimumSize = 4;

    public static Module<Tensor, Tensor> Create(ImageShape shape, int classes)
    {
        if (shape.Height < MinimumSize || shape.Width < MinimumSize)
        {
            throw new TrainingUserException($"spec.model.name: resnet needs images of at least {MinimumSize}x{MinimumSize} pixels, the data has {shape.Height}x{shape.Width}");
        }

        return Sequential(
            ("stem", Conv2d(shape.Channels, Width, kernel_size: 3, padding: 1, bias: false)),
            ("stem_bn", BatchNorm2d(Width)),
            ("stem_relu", ReLU()),
            ("stage1", new ResidualBlock("stage1", Width, Width, stride: 1)),
            ("stage2", new ResidualBlock("stage2", Width, 2 * Width, stride: 2)),
            ("stage3", new ResidualBlock("stage3", 2 * Width, 4 * Width, stride: 2)),
            ("pool", AdaptiveAvgPool2d(1)),
            ("flatten", Flatten()),
            ("fc", Linear(4 * Width, classes)));
    }
}
