using System.CommandLine;
using GridTrain.Cli.Output;
using GridTrain.Protos.V1;

namespace GridTrain.Cli.Commands.Jobs;

/// <summary><c>gridtrain job logs ID [-f] [--after SEQ]</c>: a job's events, one per line.</summary>
internal static class JobLogsCommand
{
    public static Command Create(CliContext context)
    {
        var controller = new ControllerOption(context);
        var output = OutputOption.Create();
        var id = new Argument<string>("ID") { Description = "Job id (job-...)" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new events until the job finishes" };
        var after = new NumberOption<long>("--after") { Description = "Only events after this sequence number (resume where you left off)", HelpName = "SEQ" }.AtLeast(0);
        var command = new Command("logs", "Print a job's events: #sequence time kind details (-o json: one JSON object per line)") { id, follow, after, controller, output };
        command.SetAction(async (parseResult, ct) =>
        {
            using var client = controller.Connect(parseResult);
            var jobId = parseResult.GetValue(id)!;
            var afterSequence = parseResult.GetValue(after) ?? 0;
            var json = parseResult.GetValue(output) == OutputFormat.Json;

            // Without --follow, print what the job has so far: up to its newest event when asked.
            var job = await client.Jobs.GetJobAsync(new GetJobRequest { JobId = jobId }, deadline: context.CallDeadline(), cancellationToken: ct);
            var until = parseResult.GetValue(follow) ? long.MaxValue : job.LastEventSequence;
            if (afterSequence >= until)
            {
                return ExitCodes.Success;
            }

            await foreach (var jobEvent in client.WatchJobAsync(jobId, afterSequence, cancellationToken: ct))
            {
                await context.Out.WriteLineAsync(json ? ProtoJson.FormatLine(jobEvent) : EventLine.Format(jobEvent));
                if (jobEvent.Sequence >= until)
                {
                    break;
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
