using GridTrain.Protos.V1;

namespace GridTrain.Cli.Commands.Demo;

/// <summary>
/// What the demo trains on: Fashion-MNIST when its IDX files are there, generated data otherwise. <c>Kind</c> is
/// <c>fashion-mnist</c>, <c>synthetic</c> or <c>job-file</c>; <c>Explanation</c> is one line saying what is used and why.
/// </summary>
internal sealed record DemoData(string Kind, DataSpec Spec, string Explanation)
{
    public const string FashionMnist = "fashion-mnist";
    public const string SyntheticKind = "synthetic";
    public const string JobFileKind = "job-file";

    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package installs the data set.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    private static readonly string[] Files =
    [
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ];

    public static DemoData Choose(string directory, int syntheticExamples)
    {
        var fullPath = Path.GetFullPath(directory);
        var missing = Files.Where(name => !File.Exists(Path.Combine(fullPath, name + ".gz")) && !File.Exists(Path.Combine(fullPath, name))).ToList();
        if (missing.Count == 0)
        {
            return new DemoData(FashionMnist, new DataSpec { IdxDirectory = fullPath }, $"data: Fashion-MNIST from {fullPath}");
        }

        var why = Directory.Exists(fullPath)
            ? $"{fullPath} lacks {string.Join(", ", missing.Select(name => name + ".gz"))}"
            : $"{fullPath} does not exist";
        var testExamples = Math.Max(10, syntheticExamples / 6);
        var spec = new DataSpec { Synthetic = new SyntheticData { TrainExamples = syntheticExamples, TestExamples = testExamples, ImageSize = 28, Classes = 10 } };
        return new DemoData(
            SyntheticKind,
            spec,
            $"data: synthetic ({syntheticExamples} train / {testExamples} test images, 28x28, 10 classes) because {why}; "
            + $"for Fashion-MNIST install Debian's dataset-fashion-mnist or pass --data DIR");
    }
}
