using System.Diagnostics;
using GridTrain.Domain.Jobs;
using GridTrain.Training.Tests.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace GridTrain.Training.Tests.Models;

/// <summary>
/// A module made by real PyTorch (Fixtures/small-cnn.pt, from examples/torchscript/make_model.py with Debian's python3-torch)
/// trained through GridTrain and saved back as TorchScript that TorchSharp and PyTorch both load.
/// </summary>
public sealed class TorchScriptTests : IDisposable
{
    private static readonly string s_fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "small-cnn.pt");
    private static readonly string s_checkScript = Path.Combine(AppContext.BaseDirectory, "Fixtures", "check_torchscript.py");
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    public static JobSpec Spec(TorchScriptSpec script, int epochs = 2) => Jobs.Synthetic(trainExamples: 600, imageSize: 8, batchSize: 32, epochs: epochs, learningRate: 0.01) with
    {
        Model = new ModelSpec { Name = ModelKind.TorchScript, TorchScript = script },
    };

    [Fact]
    public void TorchScriptFromPyTorch_TrainsAndIsSavedBackAsTorchScript()
    {
        var log = new EventLog();

        var outcome = Trainer.Run(Jobs.Request(Spec(new TorchScriptSpec { Path = s_fixture }), _directory.Path), log.Report, CancellationToken.None);

        Assert.True(outcome.TestAccuracy > 0.5, $"test accuracy {outcome.TestAccuracy} (chance: 0.1)");
        var finalModel = _directory.Combine("checkpoints", "final-model.pt");
        Assert.Equal(_directory.Combine("checkpoints", "best-model.pt"), outcome.BestModelPath);
        using var original = jit.load<Tensor, Tensor>(s_fixture);
        using var trained = jit.load<Tensor, Tensor>(finalModel);
        trained.eval();
        using var input = torch.rand(4, 1, 8, 8);
        using var output = trained.call(input);
        Assert.Equal([4L, 10], output.shape);
        var originalWeights = original.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.Contains(trained.named_parameters(), p => !p.parameter.equal(originalWeights[p.name]).all().item<bool>());

        Assert.Equal("shape=[4, 10] finite=True parameters=3818", RunPython(finalModel, "4", "1", "8", "8"));
        Assert.Equal("shape=[2, 10] finite=True parameters=3818", RunPython(outcome.BestModelPath, "2", "1", "28", "28"));
    }

    [Fact]
    public void TorchScriptUploadedWithTheJob_TrainsAndResumesAgainstTheSameModuleOnly()
    {
        var bytes = File.ReadAllBytes(s_fixture);
        var spec = Spec(new TorchScriptSpec { Module = bytes }, epochs: 1);
        var first = Trainer.Run(Jobs.Request(spec, _directory.Combine("one")), _ => { }, CancellationToken.None);
        Assert.NotNull(first.CheckpointPath);

        // Another module (the trained one) does not fit the checkpoint: the manifest's model identity differs.
        var other = File.ReadAllBytes(_directory.Combine("one", "checkpoints", "final-model.pt"));
        var error = Assert.Throws<TrainingUserException>(() =>
            Trainer.Run(Jobs.Request(Spec(new TorchScriptSpec { Module = other }, epochs: 2), _directory.Combine("two"), first.CheckpointPath), _ => { }, CancellationToken.None));
        Assert.Contains("model differs (checkpoint: torchscript sha256=", error.Message);

        var resumed = Trainer.Run(Jobs.Request(Spec(new TorchScriptSpec { Module = bytes }, epochs: 2), _directory.Combine("three"), first.CheckpointPath), _ => { }, CancellationToken.None);
        Assert.Equal(2 * first.Steps, resumed.Steps);
    }

    [Fact]
    public void NotATorchScriptFile_IsAUserError()
    {
        var path = _directory.Combine("model.pt");
        File.WriteAllText(path, "not a zip");

        var error = Assert.Throws<TrainingUserException>(() => Trainer.Run(Jobs.Request(Spec(new TorchScriptSpec { Path = path }), _directory.Combine("work")), _ => { }, CancellationToken.None));

        Assert.StartsWith("spec.model.torchscript: not a TorchScript module", error.Message);
    }

    private static string RunPython(params string[] arguments)
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(s_checkScript);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "PyTorch did not finish loading the module");
        Assert.True(process.ExitCode == 0, $"PyTorch could not load the module (python3-torch is installed by .ci/run): {error.Result}");
        return output.Result.Trim();
    }
}
