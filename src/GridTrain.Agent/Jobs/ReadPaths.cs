using GridTrain.Agent.Workspaces;
using GridTrain.Domain.Jobs;

namespace GridTrain.Agent.Jobs;

/// <summary>
/// The controller's <c>--dataset-root</c> rule, applied where the files are: every path a job reads from the agent's
/// disk (an IDX directory and the files in it, CSV tables, a TorchScript module) must, with every symbolic link
/// followed, lie inside one of the roots. The controller checks the names lexically; only the agent can see that
/// <c>/datasets/evil -&gt; /etc</c> leads out.
/// </summary>
internal static class ReadPaths
{
    /// <summary>What is wrong with the paths <paramref name="spec"/> reads; null when every one is inside a root, or no roots are set.</summary>
    public static string? Check(JobSpec spec, IReadOnlyList<string> roots)
    {
        if (roots.Count == 0)
        {
            return null;
        }

        var reads = new (string? Path, string Field, bool Directory)[]
        {
            (spec.Data.IdxDirectory, "data.idx_directory", true),
            (spec.Data.Csv?.TrainPath, "data.csv.train_path", false),
            (spec.Data.Csv?.TestPath, "data.csv.test_path", false),
            (spec.Model.TorchScript?.Path, "model.torchscript.path", false),
        };
        foreach (var (path, field, directory) in reads)
        {
            if (string.IsNullOrEmpty(path))
            {
                continue;
            }

            if (Outside(path, roots) is { } resolved)
            {
                return $"{field}: {path} resolves to {resolved}, outside the dataset roots ({string.Join(", ", roots)})";
            }

            if (directory && System.IO.Directory.Exists(path))
            {
                foreach (var entry in System.IO.Directory.EnumerateFileSystemEntries(path))
                {
                    if (Outside(entry, roots) is { } target)
                    {
                        return $"{field}: {entry} resolves to {target}, outside the dataset roots ({string.Join(", ", roots)})";
                    }
                }
            }
        }

        return null;
    }

    /// <summary>Where <paramref name="path"/> leads when that is outside every root; null when it is inside one.</summary>
    private static string? Outside(string path, IReadOnlyList<string> roots) =>
        roots.Any(root => WorkspacePath.StaysInside(root, path)) ? null : WorkspacePath.Real(path);
}
