using System.Security.Cryptography;
using GridTrain.Domain.Jobs;
using GridTrain.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GridTrain.Training.Data;

/// <summary>
/// Loads the train and test splits from a directory with the standard MNIST file names
/// (<c>train-images-idx3-ubyte</c>, <c>train-labels-idx1-ubyte</c>, <c>t10k-images-idx3-ubyte</c>,
/// <c>t10k-labels-idx1-ubyte</c>, each raw or with <c>.gz</c>).
/// </summary>
internal static class IdxDataLoader
{
    public static TrainingData Load(string directory, int trainLimit, int testLimit)
    {
        if (!Directory.Exists(directory))
        {
            throw new TrainingUserException($"spec.data.idx_directory: directory '{directory}' does not exist");
        }

        var trainImages = IdxReader.ReadImages(Find(directory, "train-images-idx3-ubyte"), trainLimit);
        var trainLabels = IdxReader.ReadLabels(Find(directory, "train-labels-idx1-ubyte"), trainLimit);
        var testImages = IdxReader.ReadImages(Find(directory, "t10k-images-idx3-ubyte"), testLimit);
        var testLabels = IdxReader.ReadLabels(Find(directory, "t10k-labels-idx1-ubyte"), testLimit);

        CheckCounts(directory, "train", trainImages, trainLabels);
        CheckCounts(directory, "t10k", testImages, testLabels);
        if (trainImages.Count == 0)
        {
            throw new TrainingUserException($"spec.data.idx_directory: '{directory}' has no training examples");
        }

        if (testImages.Rows != trainImages.Rows || testImages.Columns != trainImages.Columns)
        {
            throw new TrainingUserException(
                $"spec.data.idx_directory: train images are {trainImages.Rows}x{trainImages.Columns} but test images are {testImages.Rows}x{testImages.Columns} in '{directory}'");
        }

        var classes = Math.Max(2, Math.Max(Max(trainLabels), Max(testLabels)) + 1);
        var shape = new ImageShape(1, trainImages.Rows, trainImages.Columns);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var part in new[] { trainImages.Pixels, trainLabels, testImages.Pixels, testLabels })
        {
            hash.AppendData(part);
        }

        var identity = $"idx sha256={Convert.ToHexStringLower(hash.GetHashAndReset())} shape={shape} train={trainImages.Count} test={testImages.Count}";
        return new TrainingData(ToTensors(trainImages, trainLabels), ToTensors(testImages, testLabels), shape, classes, identity);
    }

    private static string Find(string directory, string name)
    {
        foreach (var candidate in new[] { name, name + ".gz" })
        {
            var path = Path.Combine(directory, candidate);
            if (File.Exists(path))
            {
                return path;
            }
        }

        throw new TrainingUserException($"spec.data.idx_directory: '{directory}' has no {name} or {name}.gz");
    }

    private static void CheckCounts(string directory, string split, IdxImages images, byte[] labels)
    {
        if (images.Count != labels.Length)
        {
            throw new TrainingUserException($"spec.data.idx_directory: {split} files in '{directory}' hold {images.Count} images but {labels.Length} labels");
        }
    }

    private static int Max(byte[] labels) => labels.Length == 0 ? 0 : labels.Max();

    private static LabeledImages ToTensors(IdxImages images, byte[] labels)
    {
        using var pixels = torch.tensor(images.Pixels, [images.Count, 1, images.Rows, images.Columns], ScalarType.Byte);
        using var labelBytes = torch.tensor(labels, ScalarType.Byte);
        return new LabeledImages(pixels.to_type(ScalarType.Float32).div_(255f), labelBytes.to_type(ScalarType.Int64));
    }
}
