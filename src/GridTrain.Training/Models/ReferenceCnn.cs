using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GridTrain.Training.Models;

/// <summary>
/// The Fashion-MNIST reference CNN: conv 32 5x5 → relu → maxpool 2 → conv 64 5x5 → relu → maxpool 2 → fc 1024 → relu →
/// dropout 0.5 → fc classes. Padding 2 keeps each convolution's size, so any image of at least 4x4 pixels fits.
/// </summary>
internal static class ReferenceCnn
{
    public const int MinimumSize = 4;

    public static Module<Tensor, Tensor> Create(ImageShape shape, int classes)
    {
        if (shape.Height < MinimumSize || shape.Width < MinimumSize)
        {
            throw new TrainingUserException($"spec.model.name: cnn needs images of at least {MinimumSize}x{MinimumSize} pixels, the data has {shape.Height}x{shape.Width}");
        }

        var flattened = 64 * (shape.Height / 4) * (shape.Width / 4);
        return Sequential(
            ("conv1", Conv2d(shape.Channels, 32, kernel_size: 5, padding: 2)),
            ("relu1", ReLU()),
            ("pool1", MaxPool2d(kernel_size: 2)),
            ("conv2", Conv2d(32, 64, kernel_size: 5, padding: 2)),
            ("relu2", ReLU()),
            ("pool2", MaxPool2d(kernel_size: 2)),
            ("flatten", Flatten()),
            ("fc1", Linear(flattened, 1024)),
            ("relu3", ReLU()),
            ("dropout", Dropout(0.5)),
            ("fc2", Linear(1024, classes)));
    }
}
