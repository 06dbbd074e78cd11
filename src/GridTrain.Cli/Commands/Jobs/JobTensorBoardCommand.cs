using System.CommandLine;
using GridTrain.Cli.Errors;
using GridTrain.Cli.Output;
using GridTrain.Protos.V1;

namespace GridTrain.Cli.Commands.Jobs;

/// <summary>
/// <c>gridtrain job tensorboard ID --out DIR [-f]</c>: rebuilds a job's TensorBoard event files in DIR from the
/// TensorBoard chunks in its event stream (which the job's process reports as it writes them), for
/// <c>tensorboard --logdir DIR</c> on the machine the CLI runs on.
/// </summary>
internal static class JobTensorBoardCommand
{
    public static Command Create(CliContext context)
    {
        var controller = new ControllerOption(context);
        var id = new Argument<string>("ID") { Description = "Job id (job-...)" };
        var output = new Option<string>("--out", "-o") { Description = "Directory to write the event files to (created if missing)", HelpName = "DIR", Required = true };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep writing new events until the job finishes" };
        var command = new Command("tensorboard", "Fetch a job's TensorBoard event files (scalars and histograms) into a local directory") { id, output, follow, controller };
        command.SetAction(async (parseResult, ct) =>
        {
            using var client = controller.Connect(parseResult);
            var jobId = parseResult.GetValue(id)!;
            var directory = Path.GetFullPath(parseResult.GetValue(output)!);
            var job = await client.Jobs.GetJobAsync(new GetJobRequest { JobId = jobId }, deadline: context.CallDeadline(), cancellationToken: ct);
            var until = parseResult.GetValue(follow) ? long.MaxValue : job.LastEventSequence;

            Directory.CreateDirectory(directory);
            var files = new TensorBoardFiles(directory);
            if (until > 0)
            {
                await foreach (var jobEvent in client.WatchJobAsync(jobId, 0, cancellationToken: ct))
                {
                    if (jobEvent.KindCase == JobEvent.KindOneofCase.Tensorboard)
                    {
                        files.Write(jobEvent.Tensorboard);
                    }

                    if (jobEvent.Sequence >= until)
                    {
                        break;
                    }
                }
            }

            if (files.Count == 0)
            {
                throw new CliException($"{jobId} has no TensorBoard events yet (they are reported at each epoch's end and when the job stops)");
            }

            await context.Out.WriteLineAsync($"wrote {files.Count} event file(s), {Formats.Integer(files.Bytes)} bytes, to {directory}");
            await context.Out.WriteLineAsync($"view with: tensorboard --logdir {directory}");
            return ExitCodes.Success;
        });
        return command;
    }
}
