using System.CommandLine;
using GridTrain.Cli.Commands.Sessions;
using GridTrain.Cli.Output;
using GridTrain.Protos.V1;

namespace GridTrain.Cli.Commands.Jobs;

/// <summary><c>gridtrain job submit (--session ID | --batch ...) (-f job.yaml | --model M (--data DIR | --synthetic N) ...) [--wait]</c>.</summary>
internal static class JobSubmitCommand
{
    public static Command Create(CliContext context)
    {
        var controller = new ControllerOption(context);
        var output = OutputOption.Create();
        var session = new Option<string?>("--session") { Description = "Run in this session, after the jobs queued in it", HelpName = "ID" };
        var batch = new Option<bool>("--batch") { Description = "Run in a session of its own that ends with the job" };
        var resources = new ResourceOptions();
        var spec = new JobSpecOptions();
        var wait = new Option<bool>("--wait", "-w") { Description = "Show progress until the job finishes; exit 0 only if it succeeded" };

        var command = new Command("submit", "Submit a training job") { session, batch };
        resources.AddTo(command);
        spec.AddTo(command);
        command.Add(wait);
        command.Add(controller);
        command.Add(output);
        command.RequireExactlyOne(session, batch, "run in an existing session (--session ID) or in a session of its own (--batch)");
        command.Validators.Add(result =>
        {
            if (result.IsGiven(session) && new Option[] { resources.Runtime, resources.Gpus, resources.GpuModel, resources.Priority }.Any(result.IsGiven))
            {
                result.AddError("--runtime, --gpus, --gpu-model and --priority are for --batch jobs; a --session job uses its session's resources");
            }
        });

        command.SetAction(async (parseResult, ct) =>
        {
            var request = new SubmitJobRequest { Spec = spec.ToSpec(parseResult) };
            if (parseResult.GetValue(batch))
            {
                request.Batch = new BatchSession { Resources = resources.ToRequest(parseResult), Priority = resources.PriorityValue(parseResult) };
            }
            else
            {
                request.SessionId = parseResult.GetValue(session)!;
            }

            using var client = controller.Connect(parseResult);
            var job = await client.Jobs.SubmitJobAsync(request, deadline: context.CallDeadline(), cancellationToken: ct);
            var format = parseResult.GetValue(output);
            if (!parseResult.GetValue(wait))
            {
                context.Print(format, job, (w, now) => JobView.Table([job], now).WriteTo(w));
                return ExitCodes.Success;
            }

            if (format == OutputFormat.Table)
            {
                context.Out.WriteLine($"submitted {job.Id} in session {job.SessionId}");
            }

            var finished = await JobFollower.FollowAsync(context, client, job.Id, format == OutputFormat.Table ? new JobProgressView(context) : null, ct);
            context.Print(format, finished, (w, now) => JobView.Details(finished, now).WriteTo(w));
            return finished.State == JobState.Succeeded ? ExitCodes.Success : ExitCodes.Failure;
        });
        return command;
    }
}
