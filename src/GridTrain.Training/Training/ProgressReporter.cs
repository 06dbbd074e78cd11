using GridTrain.Domain.Jobs;
using GridTrain.Training.TensorBoard;

namespace GridTrain.Training;

/// <summary>
/// Turns steps into <see cref="ProgressReported"/> events and TensorBoard points, at most once per
/// <see cref="Interval"/> plus the last step, so reporting costs nothing measurable. Throughput counts time spent in
/// training steps only.
/// </summary>
internal sealed class ProgressReporter
{
    /// <summary>Minimum time between two reports.</summary>
    // Once a second: live enough for a progress bar, and rare enough that relaying it (agent, controller, watchers)
    // takes no measurable time from training on a machine whose cores all train (see docs/benchmarks.md).
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _timeProvider;
    private readonly Action<TrainingEvent> _report;
    private readonly TensorBoardLog _tensorBoard;
    private readonly long _totalSteps;
    private long _lastReport;
    private double _lossSum;
    private int _lossCount;
    private long _correct;
    private long _examples;
    private double _learningRate;
    private long _steps;
    private long _samples;
    private TimeSpan _trainingTime;

    public ProgressReporter(TimeProvider timeProvider, Action<TrainingEvent> report, TensorBoardLog tensorBoard, long totalSteps)
    {
        _timeProvider = timeProvider;
        _report = report;
        _tensorBoard = tensorBoard;
        _totalSteps = totalSteps;
        _lastReport = timeProvider.GetTimestamp();
    }

    /// <summary>Examples per second of training-step time in this process.</summary>
    public double SamplesPerSecond => _trainingTime > TimeSpan.Zero ? _samples / _trainingTime.TotalSeconds : 0;

    /// <param name="cursor">Where the run stands after the step.</param>
    /// <param name="loss">The step's mean loss.</param>
    /// <param name="correct">Examples of the batch the model classified correctly before the step.</param>
    /// <param name="batchSize">Examples in the batch.</param>
    /// <param name="learningRate">The step's learning rate.</param>
    /// <param name="elapsed">Time the step took.</param>
    public void OnStep(TrainingCursor cursor, double loss, long correct, int batchSize, double learningRate, TimeSpan elapsed)
    {
        _lossSum += loss;
        _lossCount++;
        _correct += correct;
        _examples += batchSize;
        _learningRate = learningRate;
        _steps++;
        _samples += batchSize;
        _trainingTime += elapsed;
        // The first step of a run is reported at once: watchers (and failover measurements) see training start.
        if (_steps == 1 || cursor.Step >= _totalSteps || _timeProvider.GetElapsedTime(_lastReport) >= Interval)
        {
            Report(cursor);
        }
    }

    /// <summary>Reports the steps not reported yet, if any.</summary>
    public void Flush(TrainingCursor cursor)
    {
        if (_lossCount > 0)
        {
            Report(cursor);
        }
    }

    private void Report(TrainingCursor cursor)
    {
        var loss = _lossSum / _lossCount;
        var samplesPerSecond = SamplesPerSecond;
        var stepsPerSecond = _trainingTime > TimeSpan.Zero ? _steps / _trainingTime.TotalSeconds : 0;
        var eta = stepsPerSecond > 0 ? Math.Max(0, _totalSteps - cursor.Step) / stepsPerSecond : 0;
        _report(new ProgressReported(cursor.Step, _totalSteps, cursor.Epoch + 1, loss, samplesPerSecond, eta));
        _tensorBoard.TrainProgress(cursor.Step, loss, _examples > 0 ? (double)_correct / _examples : 0, _learningRate, samplesPerSecond);
        _lossSum = 0;
        _lossCount = 0;
        _correct = 0;
        _examples = 0;
        _lastReport = _timeProvider.GetTimestamp();
    }
}
