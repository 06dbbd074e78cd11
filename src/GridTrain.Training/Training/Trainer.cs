using GridTrain.Domain.Jobs;
using GridTrain.Training.Checkpoints;
using GridTrain.Training.Data;
using GridTrain.Training.Models;
using GridTrain.Training.TensorBoard;
using TorchSharp;

namespace GridTrain.Training;

/// <summary>
/// Runs one training job on its device: loads its data, builds its model and optimizer, resumes from
/// <see cref="WorkerRequest.ResumeFrom"/> when set, trains, and reports every <see cref="TrainingEvent"/> through a
/// callback. Checkpoints go to <c>{WorkDirectory}/checkpoints</c> with the best model (<c>best-model.bin</c>, or
/// <c>best-model.pt</c> and <c>final-model.pt</c> for TorchScript), TensorBoard files to <c>{WorkDirectory}/tensorboard</c>.
/// </summary>
/// <remarks>
/// TorchSharp's thread count and RNG are process-wide: run one job per process at a time (the worker does).
/// A run resumed from a checkpoint ends with bitwise the same weights as an uninterrupted run with the same thread count.
/// </remarks>
public static class Trainer
{
    /// <inheritdoc cref="Run(WorkerRequest, Action{TrainingEvent}, TimeProvider, CancellationToken)"/>
    public static TrainingOutcome Run(WorkerRequest request, Action<TrainingEvent> report, CancellationToken cancellationToken) =>
        Run(request, report, TimeProvider.System, cancellationToken);

    /// <summary>
    /// Trains until the last epoch or <see cref="Hyperparameters.MaxSteps"/>, then reports <see cref="TrainingFinished"/>.
    /// Cancellation stops the loop between steps and writes a checkpoint of the last step taken; no
    /// <see cref="TrainingFinished"/> is reported then.
    /// </summary>
    /// <param name="request">The job; its spec is validated and completed with defaults here.</param>
    /// <param name="report">Receives events in order, on the calling thread.</param>
    /// <param name="timeProvider">Clock for throughput, progress throttling and manifest times.</param>
    /// <param name="cancellationToken">Stops the run between two steps.</param>
    /// <exception cref="TrainingUserException">
    /// The spec, the data, the device or the checkpoint to resume from is unusable, or the loss stopped being finite.
    /// </exception>
    public static TrainingOutcome Run(WorkerRequest request, Action<TrainingEvent> report, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(timeProvider);

        var validation = JobSpecValidator.Validate(request.Spec);
        var spec = validation.Value ?? throw new TrainingUserException(string.Join("; ", validation.Errors));
        var seed = spec.Hyperparameters.Seed;

        torch.set_num_threads(Math.Max(1, request.Threads));
        var device = new RunDevice(DeviceSelector.Resolve(spec.Device, torch.cuda.is_available), seed);
        device.Seed();

        using var data = TrainingDataLoader.Load(spec.Data, seed);
        data.MoveTo(device.Device);
        using var model = ModelFactory.Create(spec.Model, data, request.WorkDirectory);
        model.Module.to(device.Device);
        using var optimizer = OptimizerFactory.Create(spec.Hyperparameters, model.Module.parameters());

        var checkpointDirectory = Path.Combine(request.WorkDirectory, "checkpoints");
        var tensorBoardDirectory = Path.Combine(request.WorkDirectory, "tensorboard");
        var bestModelPath = Path.GetFullPath(Path.Combine(checkpointDirectory, "best-model" + model.ModelFileExtension));
        var identity = new CheckpointIdentity(
            request.JobId,
            request.Attempt,
            model.Name,
            model.Signature,
            DataDescription.Of(spec.Data, seed, data),
            model.Identity,
            data.Identity,
            device.Name);

        var cursor = TrainingCursor.Start;
        if (request.ResumeFrom is { } resumeFrom)
        {
            cursor = LocalCheckpointStore.Restore(resumeFrom, identity, model.Module, optimizer);
            if (cursor.Position > data.Train.Count)
            {
                throw new TrainingUserException(
                    $"resume_from: {resumeFrom} stopped at example {cursor.Position} of its epoch, but the training data has {data.Train.Count} examples");
            }

            PreviousRun.CarryOver(resumeFrom, bestModelPath, tensorBoardDirectory);
        }

        var checkpoints = new LocalCheckpointStore(checkpointDirectory, request.PruneCheckpoints ? spec.Checkpoint.KeepLast : null, identity, timeProvider);
        var tensorBoard = new TensorBoardLog(tensorBoardDirectory);
        var loop = new TrainingLoop(spec, data, model, optimizer, checkpoints, tensorBoard, report, timeProvider, device, bestModelPath, request.BackgroundCheckpointWrites);

        return loop.Run(cursor, request.ResumeFrom, cancellationToken);
    }
}
