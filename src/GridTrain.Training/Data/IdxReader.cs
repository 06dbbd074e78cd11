using System.Buffers.Binary;
using System.IO.Compression;

namespace GridTrain.Training.Data;

/// <summary>
/// Reads MNIST-format IDX files (unsigned-byte images and labels), raw or gzip-compressed. Every problem is a
/// <see cref="TrainingUserException"/> that names the file.
/// </summary>
internal static class IdxReader
{
    public const int ImagesMagic = 0x00000803;
    public const int LabelsMagic = 0x00000801;

    /// <summary>Reads at most <paramref name="limit"/> images (0: all).</summary>
    public static IdxImages ReadImages(string path, int limit = 0)
    {
        using var stream = Open(path);
        var header = ReadHeader(stream, path, ImagesMagic, "image", dimensions: 3);
        var (count, rows, columns) = (header[0], header[1], header[2]);
        if (rows < 1 || columns < 1)
        {
            throw new TrainingUserException($"{path}: images of {rows}x{columns} pixels");
        }

        var take = Take(count, limit);
        var length = (long)take * rows * columns;
        if (length > Array.MaxLength)
        {
            throw new TrainingUserException($"{path}: {take} images of {rows}x{columns} pixels do not fit in memory; set spec.data.train_limit or test_limit");
        }

        var pixels = ReadExactly(stream, path, (int)length, count, "images");
        return new IdxImages(take, rows, columns, pixels);
    }

    /// <summary>Reads at most <paramref name="limit"/> labels (0: all).</summary>
    public static byte[] ReadLabels(string path, int limit = 0)
    {
        using var stream = Open(path);
        var count = ReadHeader(stream, path, LabelsMagic, "label", dimensions: 1)[0];
        return ReadExactly(stream, path, Take(count, limit), count, "labels");
    }

    private static int Take(int count, int limit) => limit > 0 ? Math.Min(count, limit) : count;

    private static Stream Open(string path)
    {
        FileStream file;
        try
        {
            file = File.OpenRead(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new TrainingUserException($"{path}: cannot be read: {ex.Message}", ex);
        }

        var first = file.ReadByte();
        var second = file.ReadByte();
        file.Position = 0;
        return first == 0x1f && second == 0x8b ? new GZipStream(file, CompressionMode.Decompress) : file;
    }

    private static int[] ReadHeader(Stream stream, string path, int expectedMagic, string kind, int dimensions)
    {
        var bytes = new byte[4 * (1 + dimensions)];
        if (Fill(stream, path, bytes) < bytes.Length)
        {
            throw new TrainingUserException($"{path}: too short for an IDX {kind} file ({bytes.Length}-byte header expected)");
        }

        var magic = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (magic != expectedMagic)
        {
            throw new TrainingUserException($"{path}: not an IDX {kind} file: magic number 0x{magic:x8}, expected 0x{expectedMagic:x8}");
        }

        var sizes = new int[dimensions];
        for (var i = 0; i < dimensions; i++)
        {
            sizes[i] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 * (i + 1)));
            if (sizes[i] < 0)
            {
                throw new TrainingUserException($"{path}: negative size {sizes[i]} in the IDX header");
            }
        }

        return sizes;
    }

    private static byte[] ReadExactly(Stream stream, string path, int length, int declaredCount, string what)
    {
        var data = new byte[length];
        var read = Fill(stream, path, data);
        if (read < length)
        {
            throw new TrainingUserException($"{path}: truncated: the header declares {declaredCount} {what}, but the data ends after {read} of {length} bytes");
        }

        return data;
    }

    private static int Fill(Stream stream, string path, byte[] buffer)
    {
        try
        {
            return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException ex)
        {
            throw new TrainingUserException($"{path}: corrupt gzip data: {ex.Message}", ex);
        }
    }
}
