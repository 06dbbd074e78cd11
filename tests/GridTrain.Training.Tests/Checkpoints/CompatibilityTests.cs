using System.Text.Json;
using System.Text.Json.Nodes;
using GridTrain.Domain.Jobs;
using GridTrain.Training.Tests.Infrastructure;

namespace GridTrain.Training.Tests.Checkpoints;

public sealed class CompatibilityTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Manifest_RecordsVersionsDeviceModelAndDataIdentity()
    {
        var outcome = Trainer.Run(Jobs.Request(Jobs.Synthetic(), _directory.Path), _ => { }, CancellationToken.None);

        var manifest = JsonNode.Parse(File.ReadAllText(Path.ChangeExtension(outcome.CheckpointPath!, ".json")))!;
        Assert.Equal("0.107.0", (string?)manifest["torchSharpVersion"]);
        Assert.StartsWith("2.10.0", (string?)manifest["libTorchVersion"]);
        Assert.Equal("cpu", (string?)manifest["device"]);
        Assert.Matches("^mlp params-sha256=[0-9a-f]{64}$", (string?)manifest["modelIdentity"]);
        Assert.Equal("synthetic seed=7 size=8 classes=10 train=200 test=40", (string?)manifest["dataIdentity"]);
    }

    [Fact]
    public void Resume_OtherData_IsRefusedSayingWhatDiffers()
    {
        var first = Trainer.Run(Jobs.Request(Jobs.Synthetic(trainExamples: 200), _directory.Combine("one")), _ => { }, CancellationToken.None);

        var error = Assert.Throws<TrainingUserException>(() =>
            Trainer.Run(Jobs.Request(Jobs.Synthetic(trainExamples: 300, epochs: 2), _directory.Combine("two"), first.CheckpointPath), _ => { }, CancellationToken.None));

        Assert.Contains("is not compatible with this job: data differs", error.Message);
        Assert.Contains("train=200", error.Message);
        Assert.Contains("train=300", error.Message);
        Assert.DoesNotContain("model differs", error.Message);
    }

    [Fact]
    public void Resume_OtherLibraryVersionsAndDevice_IsRefusedListingEachDifference()
    {
        var first = Trainer.Run(Jobs.Request(Jobs.Synthetic(), _directory.Combine("one")), _ => { }, CancellationToken.None);
        var manifestPath = Path.ChangeExtension(first.CheckpointPath!, ".json");
        var manifest = JsonNode.Parse(File.ReadAllText(manifestPath))!.AsObject();
        manifest["torchSharpVersion"] = "0.105.0";
        manifest["libTorchVersion"] = "2.5.1";
        manifest["device"] = "cuda";
        File.WriteAllText(manifestPath, manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

        var error = Assert.Throws<TrainingUserException>(() =>
            Trainer.Run(Jobs.Request(Jobs.Synthetic(epochs: 2), _directory.Combine("two"), first.CheckpointPath), _ => { }, CancellationToken.None));

        Assert.Contains("TorchSharp version differs (checkpoint: 0.105.0, this run: 0.107.0)", error.Message);
        Assert.Contains("libtorch version differs (checkpoint: 2.5.1, this run: 2.10.0", error.Message);
        Assert.Contains("device differs (checkpoint: cuda, this run: cpu)", error.Message);
    }

    [Fact]
    public void Resume_OtherModelShape_IsRefused()
    {
        var first = Trainer.Run(Jobs.Request(Jobs.Synthetic(), _directory.Combine("one")), _ => { }, CancellationToken.None);
        var wider = Jobs.Synthetic(epochs: 2) with { Model = new ModelSpec { Name = ModelKind.Mlp, HiddenSizes = [64] } };

        var error = Assert.Throws<TrainingUserException>(() =>
            Trainer.Run(Jobs.Request(wider, _directory.Combine("two"), first.CheckpointPath), _ => { }, CancellationToken.None));

        Assert.Contains("model differs (checkpoint: mlp[128] 1x8x8 classes=10, mlp params-sha256=", error.Message);
        Assert.Contains("this run: mlp[64] 1x8x8 classes=10", error.Message);
    }
}
