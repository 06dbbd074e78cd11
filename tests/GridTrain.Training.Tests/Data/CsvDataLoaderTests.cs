using GridTrain.Domain.Jobs;
using GridTrain.Training.Data;
using GridTrain.Training.Tests.Infrastructure;

namespace GridTrain.Training.Tests.Data;

public sealed class CsvDataLoaderTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Load_NamedLabels_BecomeOrdinalClassesAndFeaturesAreStandardized()
    {
        var path = _directory.Combine("train.csv");
        File.WriteAllLines(path, ["a,b,label", "1,10,dog", "3,10,cat", "\"5\",10,dog", ""]);

        using var data = CsvDataLoader.Load(new CsvDataSpec { TrainPath = path, TestPath = path }, seed: 1, trainLimit: 0, testLimit: 0);

        Assert.True(data.IsTabular);
        Assert.Equal(2, data.Classes);
        Assert.Equal([3L, 2], data.Train.Images.shape);
        Assert.Equal([1L, 0, 1], data.Train.Labels.data<long>().ToArray());
        var first = data.Train.Images.select(1, 0).data<float>().ToArray();
        Assert.Equal(0, first.Average(), 5);
        Assert.Equal(-Math.Sqrt(1.5), first[0], 4);
        // A constant column stays finite: its scale is 1.
        Assert.All(data.Train.Images.select(1, 1).data<float>().ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Load_MinMaxAndChosenColumns_UsesOnlyThose()
    {
        var path = _directory.Combine("train.csv");
        File.WriteAllLines(path, ["id,x,y,class", "7,0,4,1", "8,5,2,0", "9,10,0,1"]);
        var spec = new CsvDataSpec { TrainPath = path, TestPath = path, LabelColumn = "class", FeatureColumns = ["y", "x"], Normalization = CsvNormalization.MinMax };

        using var data = CsvDataLoader.Load(spec, seed: 1, trainLimit: 0, testLimit: 0);

        Assert.Equal([1f, 0f, 0.5f, 0.5f, 0f, 1f], data.Train.Images.data<float>().ToArray());
        Assert.Equal([1L, 0, 1], data.Train.Labels.data<long>().ToArray());
    }

    [Fact]
    public void Load_WithoutTestTable_HoldsOutTheFractionDeterministically()
    {
        var path = _directory.Combine("train.csv");
        Jobs.WriteCsv(path, rows: 100);

        using var first = CsvDataLoader.Load(new CsvDataSpec { TrainPath = path, TestFraction = 0.25 }, seed: 3, trainLimit: 0, testLimit: 0);
        using var second = CsvDataLoader.Load(new CsvDataSpec { TrainPath = path, TestFraction = 0.25 }, seed: 3, trainLimit: 0, testLimit: 0);

        Assert.Equal(75, first.Train.Count);
        Assert.Equal(25, first.Test.Count);
        Assert.Equal(first.Test.Labels.data<long>().ToArray(), second.Test.Labels.data<long>().ToArray());
        Assert.Equal(first.Identity, second.Identity);
    }

    [Theory]
    [InlineData("a,b\n1,2,3\n", "train.csv:2: 3 fields, but the header (line 1) has 2 columns")]
    [InlineData("a,b\nzz,1\n", "train.csv:2: column 'a' is not a number: 'zz'")]
    [InlineData("", "is empty; a header line of column names is required")]
    public void Load_MalformedTable_NamesFileLineAndColumn(string content, string expected)
    {
        var path = _directory.Combine("train.csv");
        File.WriteAllText(path, content);
        var spec = new CsvDataSpec { TrainPath = path, TestPath = path };

        var error = Assert.Throws<TrainingUserException>(() => CsvDataLoader.Load(spec, 1, 0, 0));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Load_UnknownLabelColumn_NamesTheFieldAndTheColumns()
    {
        var path = _directory.Combine("train.csv");
        File.WriteAllLines(path, ["a,b", "1,0"]);

        var error = Assert.Throws<TrainingUserException>(() => CsvDataLoader.Load(new CsvDataSpec { TrainPath = path, LabelColumn = "kind" }, 1, 0, 0));

        Assert.Contains("spec.data.csv.label_column", error.Message);
        Assert.Contains("a, b", error.Message);
    }
}
