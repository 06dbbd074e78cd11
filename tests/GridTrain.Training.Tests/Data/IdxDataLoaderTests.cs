using GridTrain.Training.Data;
using GridTrain.Training.Tests.Infrastructure;

namespace GridTrain.Training.Tests.Data;

public sealed class IdxDataLoaderTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Load_StandardNames_NormalisesPixelsAndKeepsLabels()
    {
        IdxFiles.WriteImages(_directory.Combine("train-images-idx3-ubyte"), 3, 2, 2, i => i == 0 ? (byte)255 : (byte)51);
        IdxFiles.WriteLabels(_directory.Combine("train-labels-idx1-ubyte.gz"), [0, 9, 4]);
        IdxFiles.WriteImages(_directory.Combine("t10k-images-idx3-ubyte.gz"), 2, 2, 2, _ => 0);
        IdxFiles.WriteLabels(_directory.Combine("t10k-labels-idx1-ubyte"), [1, 2]);

        using var data = IdxDataLoader.Load(_directory.Path, trainLimit: 0, testLimit: 0);

        Assert.Equal([3L, 1, 2, 2], data.Train.Images.shape);
        Assert.Equal(1f, data.Train.Images[0, 0, 0, 0].item<float>());
        Assert.Equal(0.2f, data.Train.Images[0, 0, 0, 1].item<float>(), 6);
        Assert.Equal([0L, 9, 4], data.Train.Labels.data<long>().ToArray());
        Assert.Equal(2, data.Test.Count);
        Assert.Equal(10, data.Classes);
    }

    [Fact]
    public void Load_Limits_TakeTheFirstExamples()
    {
        IdxFiles.WriteDataset(_directory.Path, train: 50, test: 20, rows: 4);

        using var data = IdxDataLoader.Load(_directory.Path, trainLimit: 10, testLimit: 5);

        Assert.Equal(10, data.Train.Count);
        Assert.Equal(5, data.Test.Count);
    }

    [Fact]
    public void Load_MissingDirectory_FailsNamingIt()
    {
        var missing = _directory.Combine("nowhere");

        var error = Assert.Throws<TrainingUserException>(() => IdxDataLoader.Load(missing, 0, 0));

        Assert.Contains(missing, error.Message);
    }

    [Fact]
    public void Load_MissingTestLabels_FailsNamingTheFile()
    {
        IdxFiles.WriteDataset(_directory.Path, train: 5, test: 5, rows: 4);
        File.Delete(_directory.Combine("t10k-labels-idx1-ubyte.gz"));

        var error = Assert.Throws<TrainingUserException>(() => IdxDataLoader.Load(_directory.Path, 0, 0));

        Assert.Contains("t10k-labels-idx1-ubyte", error.Message);
    }

    [Fact]
    public void Load_LabelCountDiffersFromImageCount_Fails()
    {
        IdxFiles.WriteDataset(_directory.Path, train: 5, test: 5, rows: 4);
        IdxFiles.WriteLabels(_directory.Combine("train-labels-idx1-ubyte.gz"), [1, 2, 3]);

        var error = Assert.Throws<TrainingUserException>(() => IdxDataLoader.Load(_directory.Path, 0, 0));

        Assert.Contains("5 images but 3 labels", error.Message);
    }
}
