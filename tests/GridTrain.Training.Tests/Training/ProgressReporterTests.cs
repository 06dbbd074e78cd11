using GridTrain.Domain.Jobs;
using GridTrain.Training.TensorBoard;
using GridTrain.Training.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace GridTrain.Training.Tests.Training;

public sealed class ProgressReporterTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void OnStep_StepsEvery400Ms_ReportsTheFirstStepThenEverySecondAndTheLastStep()
    {
        var time = new FakeTimeProvider();
        var log = new EventLog();
        var reporter = new ProgressReporter(time, log.Report, new TensorBoardLog(_directory.Path), totalSteps: 10);

        for (var step = 1; step <= 10; step++)
        {
            time.Advance(TimeSpan.FromMilliseconds(400));
            reporter.OnStep(new TrainingCursor(step, 0, step * 4, 0, step), loss: step, correct: 2, batchSize: 4, learningRate: 0.001, TimeSpan.FromMilliseconds(400));
        }

        var reports = log.OfType<ProgressReported>().ToList();
        Assert.Equal([1L, 4, 7, 10], reports.Select(r => r.Step));
        Assert.Equal(1.0, reports[0].Loss);
        Assert.Equal(3.0, reports[1].Loss);
        Assert.Equal(9.0, reports[3].Loss);
        Assert.Equal(10.0, reports[0].SamplesPerSecond, 9);
        Assert.Equal(3.6, reports[0].EtaSeconds, 9);
        Assert.All(reports, r => Assert.Equal(1, r.Epoch));
    }
}
