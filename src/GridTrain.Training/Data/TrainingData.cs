using GridTrain.Training.Models;

namespace GridTrain.Training.Data;

/// <summary>
/// The train and test splits of a job, held in memory. Images are [N, C, H, W]; tables (<see cref="IsTabular"/>) are
/// [N, F] with <see cref="Shape"/> 1x1xF. <see cref="Identity"/> is recorded in checkpoint manifests: a resume must see
/// the same data.
/// </summary>
internal sealed class TrainingData : IDisposable
{
    public TrainingData(LabeledImages train, LabeledImages test, ImageShape shape, int classes, string identity, bool isTabular = false)
    {
        Train = train;
        Test = test;
        Shape = shape;
        Classes = classes;
        Identity = identity;
        IsTabular = isTabular;
    }

    public LabeledImages Train { get; private set; }

    public LabeledImages Test { get; private set; }

    public ImageShape Shape { get; }

    public int Classes { get; }

    public string Identity { get; }

    public bool IsTabular { get; }

    /// <summary>Moves both splits to <paramref name="device"/> (a no-op on the CPU).</summary>
    public void MoveTo(TorchSharp.torch.Device device)
    {
        Train = Train.MoveTo(device);
        Test = Test.MoveTo(device);
    }

    public void Dispose()
    {
        Train.Dispose();
        Test.Dispose();
    }
}
