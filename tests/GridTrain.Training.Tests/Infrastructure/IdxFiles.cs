using System.Buffers.Binary;
using System.IO.Compression;

namespace GridTrain.Training.Tests.Infrastructure;

/// <summary>Writes small MNIST-format IDX files.</summary>
public static class IdxFiles
{
    public static void WriteImages(string path, int count, int rows, int columns, Func<int, byte> pixel, int magic = 0x00000803)
    {
        var bytes = new byte[16 + count * rows * columns];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), columns);
        for (var i = 16; i < bytes.Length; i++)
        {
            bytes[i] = pixel(i - 16);
        }

        Write(path, bytes);
    }

    public static void WriteLabels(string path, byte[] labels, int magic = 0x00000801)
    {
        var bytes = new byte[8 + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), labels.Length);
        labels.CopyTo(bytes, 8);
        Write(path, bytes);
    }

    /// <summary>A directory with the four standard files, gzip-compressed, <paramref name="rows"/> x <paramref name="rows"/> images.</summary>
    public static void WriteDataset(string directory, int train, int test, int rows)
    {
        WriteImages(Path.Combine(directory, "train-images-idx3-ubyte.gz"), train, rows, rows, i => (byte)(i * 7));
        WriteLabels(Path.Combine(directory, "train-labels-idx1-ubyte.gz"), Enumerable.Range(0, train).Select(i => (byte)(i % 10)).ToArray());
        WriteImages(Path.Combine(directory, "t10k-images-idx3-ubyte.gz"), test, rows, rows, i => (byte)(i * 3));
        WriteLabels(Path.Combine(directory, "t10k-labels-idx1-ubyte.gz"), Enumerable.Range(0, test).Select(i => (byte)(i % 10)).ToArray());
    }

    /// <summary>
    /// A learnable dataset: an image of class k (k = i mod 10) is dark except row k + 1, which is bright, plus noise from a
    /// fixed generator.
    /// </summary>
    public static void WriteLearnableDataset(string directory, int train, int test, int rows)
    {
        foreach (var (prefix, count, seed) in new[] { ("train", train, 1), ("t10k", test, 2) })
        {
            var random = new Random(seed);
            var pixels = Enumerable.Range(0, count * rows * rows)
                .Select(p => (byte)(((p / rows) % rows == ((p / (rows * rows)) % 10) + 1 ? 200 : 0) + random.Next(0, 50)))
                .ToArray();
            WriteImages(Path.Combine(directory, $"{prefix}-images-idx3-ubyte.gz"), count, rows, rows, i => pixels[i]);
            WriteLabels(Path.Combine(directory, $"{prefix}-labels-idx1-ubyte.gz"), Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray());
        }
    }

    private static void Write(string path, byte[] bytes)
    {
        if (!path.EndsWith(".gz", StringComparison.Ordinal))
        {
            File.WriteAllBytes(path, bytes);
            return;
        }

        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        gzip.Write(bytes);
    }
}
