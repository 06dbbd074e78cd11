using GridTrain.IntegrationTests.Infrastructure;
using Xunit.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace GridTrain.IntegrationTests.PythonClient;

/// <summary>
/// The Python client (clients/python) against a real controller and agent: each pytest test function of its suite is
/// one case here, failing with pytest's report of it; and the TorchScript module the suite trained through GridTrain
/// gives the same outputs in TorchSharp as in PyTorch.
/// </summary>
public sealed class PythonClientTests(PythonClientGrid grid, ITestOutputHelper output) : IClassFixture<PythonClientGrid>
{
    private const double Tolerance = 1e-5;

    public static TheoryData<string> TestFunctions => PytestSuite.TestFunctions();

    [Theory]
    [MemberData(nameof(TestFunctions))]
    public void Pytest_Passes(string testFunction)
    {
        var problem = PytestSuite.Problem(grid.Report, testFunction);

        Assert.True(problem is null, $"{problem}\n\n--- pytest output (tail) ---\n{Tail(grid.Output)}");
    }

    [Fact]
    public void TorchScriptTrainedByGridTrain_GivesTheSameOutputsInTorchSharpAsInPyTorch_AndDiffersFromTheUntrainedModule()
    {
        var trainedPath = Path.Combine(grid.Artifacts, "trained.pt");
        Assert.True(File.Exists(trainedPath), $"the pytest run left no trained module ({PytestSuite.Problem(grid.Report, "test_torchscript.py::test_trained_module_loads_in_pytorch_and_differs_from_the_untrained_one")})");
        var inputs = ReadFloats("inputs.bin");
        var pytorchOutputs = ReadFloats("pytorch-outputs.bin");
        var pytorchUntrained = ReadFloats("untrained-outputs.bin");

        var torchSharpOutputs = Run(trainedPath, inputs);
        var torchSharpUntrained = Run(Path.Combine(RepositoryRoot.Path, "examples", "torchscript", "small-cnn.pt"), inputs);

        Assert.Equal(4 * 10, torchSharpOutputs.Length);
        var difference = MaxAbsDifference(torchSharpOutputs, pytorchOutputs);
        var trainingChange = MaxAbsDifference(torchSharpOutputs, torchSharpUntrained);
        output.WriteLine($"max |TorchSharp - PyTorch| = {difference:E2} (trained), {MaxAbsDifference(torchSharpUntrained, pytorchUntrained):E2} (untrained); max |trained - untrained| = {trainingChange:F4}");
        Assert.True(difference <= Tolerance, $"TorchSharp and PyTorch outputs differ by up to {difference} (tolerance {Tolerance})");
        Assert.True(MaxAbsDifference(torchSharpUntrained, pytorchUntrained) <= Tolerance, "the untrained module's outputs differ between TorchSharp and PyTorch");
        Assert.True(trainingChange > 1e-3, "the trained module gives the untrained module's outputs");
    }

    private float[] ReadFloats(string name)
    {
        var bytes = File.ReadAllBytes(Path.Combine(grid.Artifacts, name));
        var values = new float[bytes.Length / sizeof(float)];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return values;
    }

    private static float[] Run(string modulePath, float[] inputs)
    {
        using var module = jit.load<Tensor, Tensor>(modulePath);
        module.eval();
        using var noGrad = no_grad();
        using var input = tensor(inputs, [4, 1, 8, 8]);
        using var output = module.call(input);
        return output.data<float>().ToArray();
    }

    private static double MaxAbsDifference(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        return a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();
    }

    private static string Tail(string text) => text.Length <= 6000 ? text : text[^6000..];
}
