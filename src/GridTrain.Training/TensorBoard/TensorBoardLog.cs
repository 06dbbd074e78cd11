using TorchSharp;
using TorchSharp.Modules;

namespace GridTrain.Training.TensorBoard;

/// <summary>The run's TensorBoard scalars: <c>train/loss</c>, <c>train/samples_per_second</c>, <c>test/loss</c>, <c>test/accuracy</c>.</summary>
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

    public void TrainProgress(long step, double loss, double samplesPerSecond)
    {
        _writer.add_scalar("train/loss", (float)loss, Step(step));
        _writer.add_scalar("train/samples_per_second", (float)samplesPerSecond, Step(step));
    }

    public void Evaluation(long step, double trainLoss, double testLoss, double testAccuracy)
    {
        _writer.add_scalar("train/epoch_loss", (float)trainLoss, Step(step));
        _writer.add_scalar("test/loss", (float)testLoss, Step(step));
        _writer.add_scalar("test/accuracy", (float)testAccuracy, Step(step));
    }

    private static int Step(long step) => (int)Math.Min(step, int.MaxValue);
}
