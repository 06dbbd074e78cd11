namespace GridTrain.Training;

/// <summary>
/// What a resumed run takes over from the run that wrote its checkpoint, when that run's directory is at hand: the best
/// model (next to the checkpoint) and the TensorBoard files (in the sibling <c>tensorboard</c> directory), so the
/// resumed job's best model and curves cover the whole run.
/// </summary>
internal static class PreviousRun
{
    public static void CarryOver(string resumeFrom, string bestModelPath, string tensorBoardDirectory)
    {
        var checkpointDirectory = Path.GetDirectoryName(Path.GetFullPath(resumeFrom))!;
        var previousBest = Path.Combine(checkpointDirectory, Path.GetFileName(bestModelPath));
        if (File.Exists(previousBest) && !SamePath(previousBest, bestModelPath))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(bestModelPath)!);
            File.Copy(previousBest, bestModelPath, overwrite: true);
        }

        var previousTensorBoard = Path.Combine(Path.GetDirectoryName(checkpointDirectory) ?? checkpointDirectory, "tensorboard");
        if (Directory.Exists(previousTensorBoard) && !SamePath(previousTensorBoard, tensorBoardDirectory))
        {
            Directory.CreateDirectory(tensorBoardDirectory);
            foreach (var file in Directory.EnumerateFiles(previousTensorBoard, "events.out.tfevents.*"))
            {
                File.Copy(file, Path.Combine(tensorBoardDirectory, Path.GetFileName(file)), overwrite: true);
            }
        }
    }

    private static bool SamePath(string a, string b) => string.Equals(Path.GetFullPath(a), Path.GetFullPath(b), StringComparison.Ordinal);
}
