using GridTrain.Domain.Jobs;
using GridTrain.Training;

namespace GridTrain.Worker;

/// <summary>
/// The job process: reads the request, trains, and reports every event on standard output. Exit codes are in
/// <see cref="WorkerExitCodes"/>; a failure is always reported as <see cref="TrainingFailed"/> first.
/// </summary>
internal static class WorkerCommand
{
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var events = new EventWriter(output);
        var arguments = WorkerArguments.Parse(args, out var usage);
        if (arguments is null)
        {
            error.WriteLine(usage);
            events.Write(new TrainingFailed($"invalid command line: {usage}", UserError: false));
            return WorkerExitCodes.Failed;
        }

        using var signals = new TerminationSignals();
        if (arguments.StopWhenStdinCloses)
        {
            signals.StopWhenStdinCloses(Console.OpenStandardInput());
        }

        try
        {
            var request = RequestFile.Read(arguments.RequestPath);
            var outcome = Trainer.Run(request, events.Write, signals.Token);
            if (outcome.Cancelled)
            {
                error.WriteLine($"Cancelled after step {outcome.Steps}; latest checkpoint: {outcome.CheckpointPath ?? "none"}");
                return WorkerExitCodes.Cancelled;
            }

            return WorkerExitCodes.Succeeded;
        }
        catch (TrainingUserException ex)
        {
            events.Write(new TrainingFailed(ex.Message, UserError: true));
            return WorkerExitCodes.UserError;
        }
        catch (Exception ex)
        {
            error.WriteLine(ex);
            events.Write(new TrainingFailed(FailureReason.Of(ex), UserError: false));
            return WorkerExitCodes.Failed;
        }
    }
}
