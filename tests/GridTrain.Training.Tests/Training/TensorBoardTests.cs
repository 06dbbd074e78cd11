using System.Text;
using GridTrain.Domain.Jobs;
using GridTrain.Training.Tests.Infrastructure;

namespace GridTrain.Training.Tests.Training;

public sealed class TensorBoardTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Run_WritesScalarsAndHistograms_AndShipsTheFilesAsChunks()
    {
        var log = new EventLog();

        var outcome = Trainer.Run(Jobs.Request(Jobs.Synthetic(epochs: 2), _directory.Path), log.Report, CancellationToken.None);

        var file = Assert.Single(Directory.GetFiles(outcome.TensorBoardDirectory, "events.out.tfevents.*"));
        var bytes = File.ReadAllBytes(file);
        var text = Encoding.UTF8.GetString(bytes);
        foreach (var tag in new[] { "train/loss", "train/accuracy", "train/learning_rate", "train/samples_per_second", "test/loss", "test/accuracy", "parameters/fc1.weight", "parameters/fc2.bias" })
        {
            Assert.Contains(tag, text);
        }

        // The chunks rebuild the file byte for byte, in order and without gaps.
        var rebuilt = new MemoryStream();
        foreach (var chunk in log.OfType<TensorBoardWritten>())
        {
            Assert.Equal(Path.GetFileName(file), chunk.File);
            Assert.Equal(rebuilt.Length, chunk.Offset);
            rebuilt.Write(chunk.Data);
        }

        Assert.Equal(bytes, rebuilt.ToArray());
    }
}
