using GridTrain.Agent.Jobs;
using GridTrain.Domain.Jobs;

namespace GridTrain.Agent.Tests;

/// <summary>The dataset roots as the agent applies them: links followed, inside stays, out is named.</summary>
public sealed class ReadPathsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("gridtrain-read-paths-").FullName;

    public ReadPathsTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "datasets", "fashion"));
        Directory.CreateDirectory(Path.Combine(_root, "outside"));
        File.WriteAllText(Path.Combine(_root, "datasets", "fashion", "train.csv"), "x,label\n1,0\n");
        File.WriteAllText(Path.Combine(_root, "outside", "passwd"), "root:x:0:0");
    }

    private string Datasets => Path.Combine(_root, "datasets");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void NoRoots_AnyPathReads() =>
        Assert.Null(ReadPaths.Check(Csv(Path.Combine(_root, "outside", "passwd")), []));

    [Fact]
    public void LinkThatStaysInside_Accepted()
    {
        Directory.CreateSymbolicLink(Path.Combine(Datasets, "latest"), Path.Combine(Datasets, "fashion"));

        Assert.Null(ReadPaths.Check(Csv(Path.Combine(Datasets, "latest", "train.csv")), [Datasets]));
        Assert.Null(ReadPaths.Check(Idx(Path.Combine(Datasets, "latest")), [Datasets]));
    }

    [Fact]
    public void CsvThroughALinkedDirectory_RefusedNamingTheFieldAndTarget()
    {
        Directory.CreateSymbolicLink(Path.Combine(Datasets, "evil"), Path.Combine(_root, "outside"));

        var problem = ReadPaths.Check(Csv(Path.Combine(Datasets, "evil", "passwd")), [Datasets]);

        Assert.Equal($"data.csv.train_path: {Datasets}/evil/passwd resolves to {_root}/outside/passwd, outside the dataset roots ({Datasets})", problem);
    }

    [Fact]
    public void TorchScriptModuleLinkedOut_Refused()
    {
        File.CreateSymbolicLink(Path.Combine(Datasets, "model.pt"), Path.Combine(_root, "outside", "passwd"));
        var spec = new JobSpec
        {
            Model = new ModelSpec { Name = ModelKind.TorchScript, TorchScript = new TorchScriptSpec { Path = Path.Combine(Datasets, "model.pt") } },
            Data = new DataSpec { Synthetic = new SyntheticDataSpec() },
        };

        Assert.StartsWith("model.torchscript.path: ", ReadPaths.Check(spec, [Datasets]), StringComparison.Ordinal);
    }

    [Fact]
    public void IdxDirectoryWithAFileLinkedOut_RefusedNamingTheFile()
    {
        File.CreateSymbolicLink(Path.Combine(Datasets, "fashion", "t10k-labels-idx1-ubyte"), Path.Combine(_root, "outside", "passwd"));

        var problem = ReadPaths.Check(Idx(Path.Combine(Datasets, "fashion")), [Datasets]);

        Assert.StartsWith($"data.idx_directory: {Datasets}/fashion/t10k-labels-idx1-ubyte resolves to {_root}/outside/passwd", problem, StringComparison.Ordinal);
    }

    private static JobSpec Csv(string path) => new() { Model = new ModelSpec { Name = ModelKind.Mlp }, Data = new DataSpec { Csv = new CsvDataSpec { TrainPath = path } } };

    private static JobSpec Idx(string directory) => new() { Model = new ModelSpec { Name = ModelKind.Mlp }, Data = new DataSpec { IdxDirectory = directory } };
}
