using System.Reflection;
using TorchSharp;

namespace GridTrain.Training.Checkpoints;

/// <summary>
/// Compares a checkpoint's manifest with the run about to resume from it: TorchSharp and libtorch versions, device,
/// model identity and data identity must all match (an empty value in an older manifest is not compared). A mismatch is
/// a <see cref="TrainingUserException"/> that lists every difference.
/// </summary>
internal static class CheckpointCompatibility
{
    public static readonly string TorchSharpVersion =
        typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(torch).Assembly.GetName().Version?.ToString()
        ?? "unknown";

    public static string LibTorchVersion => torch.__version__;

    public static void Check(string path, CheckpointManifest manifest, CheckpointIdentity run)
    {
        var differences = new List<string>();
        Compare(differences, "TorchSharp version", manifest.TorchSharpVersion, TorchSharpVersion);
        Compare(differences, "libtorch version", manifest.LibTorchVersion, LibTorchVersion);
        Compare(differences, "device", manifest.Device, run.Device);
        if (manifest.ModelIdentity.Length > 0 && manifest.ModelIdentity != run.ModelIdentity)
        {
            differences.Add($"model differs (checkpoint: {manifest.ModelSignature}, {manifest.ModelIdentity}; this run: {run.ModelSignature}, {run.ModelIdentity})");
        }

        if (manifest.DataIdentity.Length > 0 && manifest.DataIdentity != run.DataIdentity)
        {
            differences.Add($"data differs (checkpoint: {manifest.Data}, {manifest.DataIdentity}; this run: {run.Data}, {run.DataIdentity})");
        }
        if (differences.Count > 0)
        {
            throw new TrainingUserException($"resume_from: {path} is not compatible with this job: {string.Join("; ", differences)}");
        }
    }

    private static void Compare(List<string> differences, string what, string checkpoint, string run)
    {
        if (checkpoint.Length > 0 && !string.Equals(checkpoint, run, StringComparison.Ordinal))
        {
            differences.Add($"{what} differs (checkpoint: {checkpoint}, this run: {run})");
        }
    }
}
