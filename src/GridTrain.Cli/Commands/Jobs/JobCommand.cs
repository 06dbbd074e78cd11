using System.CommandLine;
using GridTrain.Cli.Output;
using GridTrain.Protos.V1;

namespace GridTrain.Cli.Commands.Jobs;

/// <summary><c>gridtrain job submit|get|ls|logs|tensorboard|cancel</c>.</summary>
internal static class JobCommand
{
    public static Command Create(CliContext context) => new("job", "Training jobs: run one at a time per session, like cells in a notebook")
    {
        JobSubmitCommand.Create(context),
        GetJob(context),
        ListJobs(context),
        JobLogsCommand.Create(context),
        JobTensorBoardCommand.Create(context),
        CancelJob(context),
    };

    private static Command GetJob(CliContext context)
    {
        var controller = new ControllerOption(context);
        var output = OutputOption.Create();
        var id = new Argument<string>("ID") { Description = "Job id (job-...)" };
        var command = new Command("get", "Show one job: spec, progress, result") { id, controller, output };
        command.SetAction(async (parseResult, ct) =>
        {
            using var client = controller.Connect(parseResult);
            var job = await client.Jobs.GetJobAsync(new GetJobRequest { JobId = parseResult.GetValue(id) }, deadline: context.CallDeadline(), cancellationToken: ct);
            context.Print(parseResult.GetValue(output), job, (w, now) => JobView.Details(job, now).WriteTo(w));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command ListJobs(CliContext context)
    {
        var controller = new ControllerOption(context);
        var output = OutputOption.Create();
        var session = new Option<string?>("--session") { Description = "Only the jobs of this session", HelpName = "ID" };
        var command = new Command("ls", "List jobs, newest first") { session, controller, output };
        command.Aliases.Add("list");
        command.SetAction(async (parseResult, ct) =>
        {
            using var client = controller.Connect(parseResult);
            var request = new ListJobsRequest { SessionId = parseResult.GetValue(session) ?? "" };
            var response = await client.Jobs.ListJobsAsync(request, deadline: context.CallDeadline(), cancellationToken: ct);
            context.Print(parseResult.GetValue(output), response, (w, now) =>
            {
                if (response.Jobs.Count == 0)
                {
                    w.WriteLine("no jobs");
                    return;
                }

                JobView.Table(response.Jobs, now).WriteTo(w);
            });
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CancelJob(CliContext context)
    {
        var controller = new ControllerOption(context);
        var output = OutputOption.Create();
        var id = new Argument<string>("ID") { Description = "Job id (job-...)" };
        var command = new Command("cancel", "Cancel a queued or running job; its process is stopped") { id, controller, output };
        command.SetAction(async (parseResult, ct) =>
        {
            using var client = controller.Connect(parseResult);
            var job = await client.Jobs.CancelJobAsync(new CancelJobRequest { JobId = parseResult.GetValue(id) }, deadline: context.CallDeadline(), cancellationToken: ct);
            context.Print(parseResult.GetValue(output), job, (w, now) => JobView.Table([job], now).WriteTo(w));
            return ExitCodes.Success;
        });
        return command;
    }
}
