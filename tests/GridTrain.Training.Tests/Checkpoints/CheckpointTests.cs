using System.Security.Cryptography;
using System.Text.Json;
using GridTrain.Domain.Jobs;
using GridTrain.Training.Tests.Infrastructure;

namespace GridTrain.Training.Tests.Checkpoints;

public sealed class CheckpointTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private string CheckpointDirectory => _directory.Combine("checkpoints");

    [Fact]
    public void Run_EveryStep_KeepsOnlyTheNewestK()
    {
        Directory.CreateDirectory(CheckpointDirectory);
        File.WriteAllText(Path.Combine(CheckpointDirectory, "ckpt-000000099.bin.tmp"), "left by a crash");
        var log = new EventLog();

        Trainer.Run(Jobs.Request(Jobs.Synthetic(everySteps: 1, keepLast: 2), _directory.Path), log.Report, CancellationToken.None);

        Assert.Equal([1L, 2, 3, 4, 5, 6, 7], log.OfType<CheckpointWritten>().Select(c => c.Step));
        Assert.Equal(
            ["ckpt-000000006.bin", "ckpt-000000006.json", "ckpt-000000007.bin", "ckpt-000000007.json"],
            Directory.GetFiles(CheckpointDirectory, "ckpt-*").Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Manifest_DescribesTheCheckpointFile()
    {
        var outcome = Trainer.Run(Jobs.Request(Jobs.Synthetic(model: "cnn", maxSteps: 3), _directory.Path), _ => { }, CancellationToken.None);

        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(outcome.CheckpointPath!, ".json")));
        var root = manifest.RootElement;
        using var file = File.OpenRead(outcome.CheckpointPath!);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(file)), root.GetProperty("sha256").GetString());
        Assert.Equal("ckpt-000000003.bin", root.GetProperty("file").GetString());
        Assert.Equal(3, root.GetProperty("step").GetInt64());
        Assert.Equal(0, root.GetProperty("epoch").GetInt32());
        Assert.Equal(96, root.GetProperty("positionInEpoch").GetInt32());
        Assert.Equal("cnn", root.GetProperty("model").GetString());
        Assert.Equal("0.107.0", root.GetProperty("torchSharpVersion").GetString());
    }

    [Fact]
    public void Resume_CorruptCheckpoint_FailsBeforeTraining()
    {
        var spec = Jobs.Synthetic(maxSteps: 3);
        var outcome = Trainer.Run(Jobs.Request(spec, _directory.Path), _ => { }, CancellationToken.None);
        var bytes = File.ReadAllBytes(outcome.CheckpointPath!);
        bytes[^10] ^= 0xff;
        File.WriteAllBytes(outcome.CheckpointPath!, bytes);

        var error = Assert.Throws<InvalidDataException>(
            () => Trainer.Run(Jobs.Request(spec, _directory.Path, resumeFrom: outcome.CheckpointPath), _ => { }, CancellationToken.None));

        Assert.Contains("SHA-256", error.Message);
    }

    [Fact]
    public void Resume_CheckpointOfAnotherModel_IsAUserError()
    {
        var outcome = Trainer.Run(Jobs.Request(Jobs.Synthetic(model: "mlp", maxSteps: 1), _directory.Path), _ => { }, CancellationToken.None);

        var error = Assert.Throws<TrainingUserException>(() => Trainer.Run(
            Jobs.Request(Jobs.Synthetic(model: "cnn"), _directory.Path, resumeFrom: outcome.CheckpointPath), _ => { }, CancellationToken.None));

        Assert.Contains("mlp[128] 1x8x8 classes=10", error.Message);
        Assert.Contains("cnn 1x8x8 classes=10", error.Message);
    }

    [Fact]
    public void Resume_FromFinalCheckpoint_FinishesWithoutTraining()
    {
        var spec = Jobs.Synthetic();
        var first = Trainer.Run(Jobs.Request(spec, _directory.Path), _ => { }, CancellationToken.None);
        var log = new EventLog();

        var again = Trainer.Run(Jobs.Request(spec, _directory.Path, resumeFrom: first.CheckpointPath), log.Report, CancellationToken.None);

        Assert.Equal(first.Steps, again.Steps);
        Assert.Equal(first.TestAccuracy, again.TestAccuracy);
        Assert.Equal(first.CheckpointPath, again.CheckpointPath);
        Assert.IsType<TrainingFinished>(Assert.Single(log.Events, e => e is not TensorBoardWritten));
    }
}
