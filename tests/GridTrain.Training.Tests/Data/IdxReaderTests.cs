using GridTrain.Training.Data;
using GridTrain.Training.Tests.Infrastructure;

namespace GridTrain.Training.Tests.Data;

public sealed class IdxReaderTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void ReadImages_RawAndGzip_GiveTheSameImages()
    {
        var raw = _directory.Combine("images-idx3-ubyte");
        var gzip = _directory.Combine("images-idx3-ubyte.gz");
        IdxFiles.WriteImages(raw, count: 3, rows: 2, columns: 4, i => (byte)(i * 10));
        IdxFiles.WriteImages(gzip, count: 3, rows: 2, columns: 4, i => (byte)(i * 10));

        var fromRaw = IdxReader.ReadImages(raw);
        var fromGzip = IdxReader.ReadImages(gzip);

        Assert.Equal((3, 2, 4), (fromRaw.Count, fromRaw.Rows, fromRaw.Columns));
        Assert.Equal(Enumerable.Range(0, 24).Select(i => (byte)(i * 10)), fromRaw.Pixels);
        Assert.Equal(fromRaw.Pixels, fromGzip.Pixels);
    }

    [Fact]
    public void ReadLabels_RawAndGzip_GiveTheSameLabels()
    {
        byte[] labels = [3, 1, 4, 1, 5];
        IdxFiles.WriteLabels(_directory.Combine("labels"), labels);
        IdxFiles.WriteLabels(_directory.Combine("labels.gz"), labels);

        Assert.Equal(labels, IdxReader.ReadLabels(_directory.Combine("labels")));
        Assert.Equal(labels, IdxReader.ReadLabels(_directory.Combine("labels.gz")));
    }

    [Fact]
    public void ReadImages_Limit_ReadsOnlyTheFirstImages()
    {
        var path = _directory.Combine("images.gz");
        IdxFiles.WriteImages(path, count: 5, rows: 2, columns: 2, i => (byte)i);

        var images = IdxReader.ReadImages(path, limit: 2);

        Assert.Equal(2, images.Count);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (byte)i), images.Pixels);
    }

    [Fact]
    public void ReadImages_LabelsMagic_FailsNamingFileAndMagic()
    {
        var path = _directory.Combine("train-images-idx3-ubyte");
        IdxFiles.WriteImages(path, count: 1, rows: 2, columns: 2, _ => 0, magic: 0x00000801);

        var error = Assert.Throws<TrainingUserException>(() => IdxReader.ReadImages(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("magic number 0x00000801, expected 0x00000803", error.Message);
    }

    [Fact]
    public void ReadLabels_NotIdx_FailsNamingFile()
    {
        var path = _directory.Combine("train-labels-idx1-ubyte.gz");
        IdxFiles.WriteLabels(path, [1, 2], magic: 0x1234);

        var error = Assert.Throws<TrainingUserException>(() => IdxReader.ReadLabels(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("not an IDX label file", error.Message);
    }

    [Fact]
    public void ReadImages_TruncatedData_FailsNamingFile()
    {
        var path = _directory.Combine("images");
        IdxFiles.WriteImages(path, count: 2, rows: 2, columns: 2, _ => 1);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^3]);

        var error = Assert.Throws<TrainingUserException>(() => IdxReader.ReadImages(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void ReadImages_EmptyFile_FailsNamingFile()
    {
        var path = _directory.Combine("empty");
        File.WriteAllBytes(path, []);

        var error = Assert.Throws<TrainingUserException>(() => IdxReader.ReadImages(path));

        Assert.Contains(path, error.Message);
    }
}
