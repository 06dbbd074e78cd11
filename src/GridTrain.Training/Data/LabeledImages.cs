using TorchSharp;
using static TorchSharp.torch;

namespace GridTrain.Training.Data;

/// <summary>Images as one float tensor [N, C, H, W] with values in [0, 1], and their int64 labels [N].</summary>
internal sealed class LabeledImages : IDisposable
{
    public LabeledImages(Tensor images, Tensor labels)
    {
        if (images.shape[0] != labels.shape[0])
        {
            throw new ArgumentException($"{images.shape[0]} images but {labels.shape[0]} labels");
        }

        Images = images;
        Labels = labels;
    }

    public Tensor Images { get; }

    public Tensor Labels { get; }

    public int Count => (int)Images.shape[0];

    /// <summary>This split on <paramref name="device"/>: itself when already there, else a copy (and this one is disposed).</summary>
    public LabeledImages MoveTo(Device device)
    {
        if (Images.device_type == device.type && (device.type == DeviceType.CPU || Images.device_index == device.index))
        {
            return this;
        }

        var moved = new LabeledImages(Images.to(device), Labels.to(device));
        Dispose();
        return moved;
    }

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
