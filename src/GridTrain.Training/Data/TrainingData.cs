using GridTrain.Training.Models;

namespace GridTrain.Training.Data;

/// <summary>The train and test splits of a job, held in memory.</summary>
internal sealed class TrainingData : IDisposable
{
    public TrainingData(LabeledImages train, LabeledImages test, ImageShape shape, int classes)
    {
        Train = train;
        Test = test;
        Shape = shape;
        Classes = classes;
    }

    public LabeledImages Train { get; }

    public LabeledImages Test { get; }

    public ImageShape Shape { get; }

    public int Classes { get; }

    public void Dispose()
    {
        Train.Dispose();
        Test.Dispose();
    }
}
