using System.Globalization;
using GridTrain.Domain.Jobs;
using GridTrain.Training.Checkpoints;
using GridTrain.Training.Data;
using GridTrain.Training.Models;
using GridTrain.Training.TensorBoard;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GridTrain.Training;

/// <summary>
/// The epoch and step loop of one run: trains in each epoch's <see cref="EpochOrder"/> with the scheduled learning rate,
/// optional augmentation and gradient clipping; evaluates, tracks the best model and checkpoints at epoch ends;
/// checkpoints every N steps; stops between steps on cancellation, <see cref="Hyperparameters.MaxSteps"/> or early
/// stopping. A loss that is not finite fails the run with a <see cref="TrainingUserException"/>.
/// </summary>
internal sealed class TrainingLoop
{
    private readonly JobSpec _spec;
    private readonly TrainingData _data;
    private readonly TrainableModel _model;
    private readonly Module _module;
    private readonly OptimizerHelper _optimizer;
    private readonly LocalCheckpointStore _checkpoints;
    private readonly TensorBoardLog _tensorBoard;
    private readonly TensorBoardShipper _shipper;
    private readonly Action<TrainingEvent> _report;
    private readonly TimeProvider _timeProvider;
    private readonly ProgressReporter _progress;
    private readonly LearningRates _learningRates;
    private readonly Augmenter _augmenter;
    private readonly MetricTracker _metric;
    private readonly RunDevice _device;
    private readonly string _bestModelPath;
    private readonly long _totalSteps;
    private readonly bool _backgroundCheckpointWrites;
    private long _checkpointStep;
    private string? _checkpointPath;
    private Task<(long Step, string Path)>? _persisting;

    public TrainingLoop(
        JobSpec spec,
        TrainingData data,
        TrainableModel model,
        OptimizerHelper optimizer,
        LocalCheckpointStore checkpoints,
        TensorBoardLog tensorBoard,
        Action<TrainingEvent> report,
        TimeProvider timeProvider,
        RunDevice device,
        string bestModelPath,
        bool backgroundCheckpointWrites = false)
    {
        _backgroundCheckpointWrites = backgroundCheckpointWrites;
        _spec = spec;
        _data = data;
        _model = model;
        _module = model.Module;
        _optimizer = optimizer;
        _checkpoints = checkpoints;
        _tensorBoard = tensorBoard;
        _shipper = new TensorBoardShipper(tensorBoard.LogDirectory, report);
        _report = report;
        _timeProvider = timeProvider;
        _device = device;
        _bestModelPath = bestModelPath;
        _totalSteps = TotalSteps(spec.Hyperparameters, data.Train.Count);
        _progress = new ProgressReporter(timeProvider, report, tensorBoard, _totalSteps);
        _learningRates = new LearningRates(spec.Hyperparameters.LearningRate, spec.Hyperparameters.Schedule, StepsPerEpoch(spec.Hyperparameters, data.Train.Count), _totalSteps);
        _augmenter = new Augmenter(spec.Data.Augmentation, spec.Hyperparameters.Seed);
        _metric = new MetricTracker(spec.Hyperparameters.EarlyStopping);
    }

    public static long TotalSteps(Hyperparameters hyperparameters, int trainExamples)
    {
        var total = StepsPerEpoch(hyperparameters, trainExamples) * hyperparameters.Epochs;
        return hyperparameters.MaxSteps > 0 ? Math.Min(total, hyperparameters.MaxSteps) : total;
    }

    private static long StepsPerEpoch(Hyperparameters hyperparameters, int trainExamples) =>
        (trainExamples + hyperparameters.BatchSize - 1) / hyperparameters.BatchSize;

    /// <summary>Runs from <paramref name="cursor"/>; <paramref name="resumedFrom"/> is the checkpoint it was restored from.</summary>
    public TrainingOutcome Run(TrainingCursor cursor, string? resumedFrom, CancellationToken cancellationToken)
    {
        (_checkpointStep, _checkpointPath) = (cursor.Step, resumedFrom);
        Evaluation? evaluation = null;
        var evaluatedStep = -1L;
        var stoppedEarly = _metric.ShouldStop(cursor.Best);

        _module.train();
        while (!stoppedEarly && cursor.Epoch < _spec.Hyperparameters.Epochs && !StepLimitReached(cursor))
        {
            cursor = TrainEpoch(cursor, cancellationToken);
            if (cursor.Position < _data.Train.Count)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    return Cancel(cursor);
                }

                break;
            }

            _progress.Flush(cursor);
            (evaluation, cursor) = EndEpoch(cursor);
            evaluatedStep = cursor.Step;
            cursor = cursor.NextEpoch();
            Checkpoint(cursor);
            _shipper.Ship();
            stoppedEarly = _metric.ShouldStop(cursor.Best);
            if (stoppedEarly)
            {
                _report(new LogWritten("stdout", string.Create(
                    CultureInfo.InvariantCulture,
                    $"early stopping after epoch {cursor.Epoch}: {Choice<EvaluationMetric>.NameOf(_metric.Metric)} has not improved for {cursor.Best.StaleEpochs} epochs (best {cursor.Best.Metric:G6} at epoch {cursor.Best.Epoch})")));
            }
        }

        _progress.Flush(cursor);
        if (evaluatedStep != cursor.Step)
        {
            // Stopped inside an epoch by MaxSteps, or resumed from a finished run: evaluate the final weights.
            evaluation = cursor.Position > 0 ? Evaluate(cursor) : Evaluator.Evaluate(_module, _model, _data.Test);
        }

        ReportPersisted(wait: true);
        if (_checkpointStep != cursor.Step || _checkpointPath is null)
        {
            Checkpoint(cursor);
        }

        ReportPersisted(wait: true);
        if (_model.IsTorchScript)
        {
            _model.SaveModel(Path.Combine(Path.GetDirectoryName(_bestModelPath)!, "final-model.pt"));
        }

        _shipper.Ship();
        var bestModelPath = cursor.Best.Epoch > 0 && File.Exists(_bestModelPath) ? _bestModelPath : "";
        var outcome = new TrainingOutcome(false, cursor.Step, evaluation?.Accuracy, _checkpointPath, _tensorBoard.LogDirectory, _progress.SamplesPerSecond)
        {
            StoppedEarly = stoppedEarly,
            BestEpoch = cursor.Best.Epoch,
            BestModelPath = bestModelPath,
        };
        _report(new TrainingFinished(
            outcome.Steps, outcome.TestAccuracy, outcome.CheckpointPath ?? "", outcome.TensorBoardDirectory, outcome.SamplesPerSecond, stoppedEarly, cursor.Best.Epoch, bestModelPath));
        return outcome;
    }

    /// <summary>Trains until the epoch ends, the step limit is reached or cancellation is requested.</summary>
    private TrainingCursor TrainEpoch(TrainingCursor cursor, CancellationToken cancellationToken)
    {
        var examples = _data.Train.Count;
        var everySteps = _spec.Checkpoint.EverySteps;
        using var order = torch.tensor(EpochOrder.Create(_spec.Hyperparameters.Seed, cursor.Epoch, examples), device: _device.Device);
        while (cursor.Position < examples && !StepLimitReached(cursor) && !cancellationToken.IsCancellationRequested)
        {
            var batchSize = Math.Min(_spec.Hyperparameters.BatchSize, examples - cursor.Position);
            var started = _timeProvider.GetTimestamp();
            var learningRate = _learningRates.At(cursor.Step);
            var (loss, correct) = Step(order, cursor, batchSize, learningRate);
            cursor = cursor.After(batchSize, loss);
            _progress.OnStep(cursor, loss, correct, batchSize, learningRate, _timeProvider.GetElapsedTime(started));
            ReportPersisted(wait: false);

            // A step that ends the epoch is checkpointed after its evaluation instead.
            if (everySteps > 0 && cursor.Step % everySteps == 0 && cursor.Position < examples)
            {
                Checkpoint(cursor);
            }
        }

        return cursor;
    }

    private bool StepLimitReached(TrainingCursor cursor) => _spec.Hyperparameters.MaxSteps > 0 && cursor.Step >= _spec.Hyperparameters.MaxSteps;

    private (double Loss, long Correct) Step(Tensor order, TrainingCursor cursor, int batchSize, double learningRate)
    {
        using var scope = torch.NewDisposeScope();
        _device.BeforeStep(cursor.Step);
        var indices = order.narrow(0, cursor.Position, batchSize);
        var inputs = _augmenter.Apply(_data.Train.Images.index_select(0, indices), cursor.Step);
        var labels = _data.Train.Labels.index_select(0, indices);
        foreach (var group in _optimizer.ParamGroups)
        {
            group.LearningRate = learningRate;
        }

        _optimizer.zero_grad();
        var logits = _model.call(inputs);
        var loss = functional.cross_entropy(logits, labels);
        var value = loss.item<float>();
        if (!float.IsFinite(value))
        {
            throw new TrainingUserException(string.Create(
                CultureInfo.InvariantCulture,
                $"training diverged: the loss is {(float.IsNaN(value) ? "NaN" : "infinite")} at step {cursor.Step + 1} (epoch {cursor.Epoch + 1}, learning rate {learningRate:G4}); lower spec.hyperparameters.learning_rate, set gradient_clip_norm, or check the data for NaN or infinite values"));
        }

        loss.backward();
        if (_spec.Hyperparameters.GradientClipNorm > 0)
        {
            torch.nn.utils.clip_grad_norm_(_module.parameters(), _spec.Hyperparameters.GradientClipNorm);
        }

        _optimizer.step();
        var correct = logits.argmax(1).eq(labels).sum().item<long>();
        return (value, correct);
    }

    /// <summary>Evaluates the finished epoch, updates the best model (saving its weights on improvement) and the TensorBoard histograms.</summary>
    private (Evaluation? Evaluation, TrainingCursor Cursor) EndEpoch(TrainingCursor cursor)
    {
        var evaluation = Evaluate(cursor);
        _tensorBoard.Parameters(cursor.Step, _module);
        if (evaluation is null)
        {
            return (null, cursor);
        }

        var best = _metric.Update(cursor.Best, cursor.Epoch + 1, _metric.ValueOf(evaluation), out var improved);
        if (improved)
        {
            _model.SaveModel(_bestModelPath);
        }

        return (evaluation, cursor with { Best = best });
    }

    /// <summary>Evaluates on the test split and reports it as the result of the epoch <paramref name="cursor"/> is in.</summary>
    private Evaluation? Evaluate(TrainingCursor cursor)
    {
        var evaluation = Evaluator.Evaluate(_module, _model, _data.Test);
        if (evaluation is not null)
        {
            _report(new EpochEvaluated(cursor.Epoch + 1, cursor.EpochLoss, evaluation.Loss, evaluation.Accuracy));
            _tensorBoard.Evaluation(cursor.Step, cursor.EpochLoss, evaluation.Loss, evaluation.Accuracy);
        }

        return evaluation;
    }

    /// <summary>
    /// Snapshots the run into memory and writes it to disk, then reports it. With background writes (what the agent
    /// asks for) the snapshot is the only pause training takes: the file is written on another thread and reported at
    /// a later step boundary, once complete on disk; at most one write is in flight.
    /// </summary>
    private void Checkpoint(TrainingCursor cursor)
    {
        ReportPersisted(wait: true);
        var snapshot = _checkpoints.Snapshot(cursor, _module, _optimizer);
        _checkpointStep = cursor.Step;
        if (_backgroundCheckpointWrites)
        {
            _persisting = Task.Run(() => (cursor.Step, _checkpoints.Persist(snapshot)));
            return;
        }

        _persisting = Task.FromResult((cursor.Step, _checkpoints.Persist(snapshot)));
        ReportPersisted(wait: true);
    }

    /// <summary>Reports a background checkpoint write that has finished (or, with <paramref name="wait"/>, waits for it); rethrows its failure here.</summary>
    private void ReportPersisted(bool wait)
    {
        if (_persisting is not { } persisting || (!wait && !persisting.IsCompleted))
        {
            return;
        }

        _persisting = null;
        var (step, path) = persisting.GetAwaiter().GetResult();
        _checkpointPath = path;
        _report(new CheckpointWritten(step, path));
    }

    private TrainingOutcome Cancel(TrainingCursor cursor)
    {
        _progress.Flush(cursor);
        if (_checkpointStep != cursor.Step)
        {
            Checkpoint(cursor);
        }

        ReportPersisted(wait: true);
        _shipper.Ship();
        return new TrainingOutcome(true, cursor.Step, null, _checkpointPath, _tensorBoard.LogDirectory, _progress.SamplesPerSecond);
    }
}
