using GridTrain.Domain.Jobs;
using GridTrain.Training.Checkpoints;
using GridTrain.Training.Data;
using GridTrain.Training.TensorBoard;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GridTrain.Training;

/// <summary>
/// The epoch and step loop of one run: trains in each epoch's <see cref="EpochOrder"/>, evaluates and checkpoints at
/// epoch ends, checkpoints every N steps, and stops between steps on cancellation or <see cref="Hyperparameters.MaxSteps"/>.
/// </summary>
internal sealed class TrainingLoop
{
    private readonly JobSpec _spec;
    private readonly TrainingData _data;
    private readonly Module<Tensor, Tensor> _model;
    private readonly OptimizerHelper _optimizer;
    private readonly LocalCheckpointStore _checkpoints;
    private readonly TensorBoardLog _tensorBoard;
    private readonly Action<TrainingEvent> _report;
    private readonly TimeProvider _timeProvider;
    private readonly ProgressReporter _progress;
    private readonly long _totalSteps;
    private long _checkpointStep;
    private string? _checkpointPath;
    private Task<(long Step, string Path)>? _persisting;
    private readonly bool _backgroundCheckpointWrites;

    public TrainingLoop(
        JobSpec spec,
        TrainingData data,
        Module<Tensor, Tensor> model,
        OptimizerHelper optimizer,
        LocalCheckpointStore checkpoints,
        TensorBoardLog tensorBoard,
        Action<TrainingEvent> report,
        TimeProvider timeProvider,
        bool backgroundCheckpointWrites = false)
    {
        _backgroundCheckpointWrites = backgroundCheckpointWrites;
        _spec = spec;
        _data = data;
        _model = model;
        _optimizer = optimizer;
        _checkpoints = checkpoints;
        _tensorBoard = tensorBoard;
        _report = report;
        _timeProvider = timeProvider;
        _totalSteps = TotalSteps(spec.Hyperparameters, data.Train.Count);
        _progress = new ProgressReporter(timeProvider, report, tensorBoard, _totalSteps);
    }

    public static long TotalSteps(Hyperparameters hyperparameters, int trainExamples)
    {
        var stepsPerEpoch = (trainExamples + hyperparameters.BatchSize - 1) / hyperparameters.BatchSize;
        var total = (long)stepsPerEpoch * hyperparameters.Epochs;
        return hyperparameters.MaxSteps > 0 ? Math.Min(total, hyperparameters.MaxSteps) : total;
    }

    /// <summary>Runs from <paramref name="cursor"/>; <paramref name="resumedFrom"/> is the checkpoint it was restored from.</summary>
    public TrainingOutcome Run(TrainingCursor cursor, string? resumedFrom, CancellationToken cancellationToken)
    {
        (_checkpointStep, _checkpointPath) = (cursor.Step, resumedFrom);
        Evaluation? evaluation = null;
        var evaluatedStep = -1L;

        _model.train();
        while (cursor.Epoch < _spec.Hyperparameters.Epochs && !StepLimitReached(cursor))
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
            evaluation = Evaluate(cursor);
            evaluatedStep = cursor.Step;
            cursor = cursor.NextEpoch();
            Checkpoint(cursor);
        }

        _progress.Flush(cursor);
        if (evaluatedStep != cursor.Step)
        {
            // Stopped inside an epoch by MaxSteps, or resumed from a finished run: evaluate the final weights.
            evaluation = cursor.Position > 0 ? Evaluate(cursor) : Evaluator.Evaluate(_model, _data.Test);
        }

        ReportPersisted(wait: true);
        if (_checkpointStep != cursor.Step || _checkpointPath is null)
        {
            Checkpoint(cursor);
        }

        ReportPersisted(wait: true);
        var outcome = new TrainingOutcome(false, cursor.Step, evaluation?.Accuracy, _checkpointPath, _tensorBoard.LogDirectory, _progress.SamplesPerSecond);
        _report(new TrainingFinished(outcome.Steps, outcome.TestAccuracy, outcome.CheckpointPath ?? "", outcome.TensorBoardDirectory, outcome.SamplesPerSecond));
        return outcome;
    }

    /// <summary>Trains until the epoch ends, the step limit is reached or cancellation is requested.</summary>
    private TrainingCursor TrainEpoch(TrainingCursor cursor, CancellationToken cancellationToken)
    {
        var examples = _data.Train.Count;
        var everySteps = _spec.Checkpoint.EverySteps;
        using var order = torch.tensor(EpochOrder.Create(_spec.Hyperparameters.Seed, cursor.Epoch, examples));
        while (cursor.Position < examples && !StepLimitReached(cursor) && !cancellationToken.IsCancellationRequested)
        {
            var batchSize = Math.Min(_spec.Hyperparameters.BatchSize, examples - cursor.Position);
            var started = _timeProvider.GetTimestamp();
            var loss = Step(order, cursor.Position, batchSize);
            cursor = cursor.After(batchSize, loss);
            _progress.OnStep(cursor, loss, batchSize, _timeProvider.GetElapsedTime(started));
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

    private double Step(Tensor order, int position, int batchSize)
    {
        using var scope = torch.NewDisposeScope();
        var indices = order.narrow(0, position, batchSize);
        var images = _data.Train.Images.index_select(0, indices);
        var labels = _data.Train.Labels.index_select(0, indices);
        _optimizer.zero_grad();
        var loss = functional.cross_entropy(_model.call(images), labels);
        loss.backward();
        _optimizer.step();
        return loss.item<float>();
    }

    /// <summary>Evaluates on the test split and reports it as the result of the epoch <paramref name="cursor"/> is in.</summary>
    private Evaluation? Evaluate(TrainingCursor cursor)
    {
        var evaluation = Evaluator.Evaluate(_model, _data.Test);
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
        var snapshot = _checkpoints.Snapshot(cursor, _model, _optimizer);
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
        return new TrainingOutcome(true, cursor.Step, null, _checkpointPath, _tensorBoard.LogDirectory, _progress.SamplesPerSecond);
    }
}
