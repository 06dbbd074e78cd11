using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GridTrain.Training.TensorBoard;

/// <summary>
/// The run's TensorBoard events: scalars <c>train/loss</c>, <c>train/accuracy</c>, <c>train/learning_rate</c>,
/// <c>train/samples_per_second</c>, <c>train/epoch_loss</c>, <c>test/loss</c>, <c>test/accuracy</c>, and a histogram of
/// every parameter (<c>parameters/{name}</c>) per epoch.
/// </summary>
internal sealed class TensorBoardLog
{
    private readonly SummaryWriter _writer;

    public TensorBoardLog(string directory)
    {
        Directory.CreateDirectory(directory);
        LogDirectory = directory;
        _writer = torch.utils.tensorboard.SummaryWriter(directory);
    }

    public string LogDirectory { get; }

    public void TrainProgress(long step, double loss, double accuracy, double learningRate, double samplesPerSecond)
    {
        _writer.add_scalar("train/loss", (float)loss, Step(step));
        _writer.add_scalar("train/accuracy", (float)accuracy, Step(step));
        _writer.add_scalar("train/learning_rate", (float)learningRate, Step(step));
        _writer.add_scalar("train/samples_per_second", (float)samplesPerSecond, Step(step));
    }

    public void Evaluation(long step, double trainLoss, double testLoss, double testAccuracy)
    {
        _writer.add_scalar("train/epoch_loss", (float)trainLoss, Step(step));
        _writer.add_scalar("test/loss", (float)testLoss, Step(step));
        _writer.add_scalar("test/accuracy", (float)testAccuracy, Step(step));
    }

    /// <summary>A histogram of each parameter's values.</summary>
    public void Parameters(long step, nn.Module model)
    {
        foreach (var (name, parameter) in model.named_parameters())
        {
            using var values = parameter.detach().cpu();
            _writer.add_histogram($"parameters/{name}", values, Step(step));
        }
    }

    private static int Step(long step) => (int)Math.Min(step, int.MaxValue);
}
