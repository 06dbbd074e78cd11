using System.Text.Json;
using Grpc.Core;
using GridTrain.Cli.Commands.Jobs;
using GridTrain.Cli.Errors;
using GridTrain.Cli.Output;
using GridTrain.Client;
using GridTrain.Embedded;
using GridTrain.Protos.V1;
using Microsoft.Extensions.Logging;

namespace GridTrain.Cli.Commands.Demo;

/// <summary>
/// One demo: start a grid in this process, train the reference CNN as a batch job while showing its progress, stop
/// the grid, and say how it went. Ctrl+C cancels the job and still shuts everything down.
/// </summary>
internal sealed class DemoRun(CliContext context)
{
    private const int CheckpointEverySteps = 200;

    /// <summary>How long an interrupted demo waits for its job to stop.</summary>
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(20);

    public async Task<int> RunAsync(DemoSettings settings, CancellationToken cancellationToken)
    {
        var started = context.Time.GetTimestamp();
        var fileSpec = settings.JobFile is { } file ? JobFile.Load(file) : null;
        var workDirectory = CreateWorkDirectory(settings.WorkDirectory);
        var data = fileSpec is null
            ? DemoData.Choose(settings.DataDirectory, settings.SyntheticExamples)
            : new DemoData(DemoData.JobFileKind, fileSpec.Data, $"job: {Path.GetFullPath(settings.JobFile!)} ({Describe(fileSpec)})");
        Say($"work directory: {workDirectory}");
        Say(data.Explanation);

        // The demo runs one job: its agent takes one session, and that job gets every core.
        var gridOptions = new EmbeddedGridOptions
        {
            WorkDirectory = workDirectory,
            MinimumLogLevel = LogLevel.Warning,
            WebListen = settings.WebListen,
            CpuSlots = 1,
            ThreadsPerJob = Environment.ProcessorCount,
        };
        Job job;
        bool interrupted;
        await using (var grid = await EmbeddedGrid.StartAsync(gridOptions, cancellationToken))
        {
            Say($"grid: controller on {grid.Address.ToString().TrimEnd('/')} and agent '{gridOptions.AgentName}', both in this process; the job gets all {gridOptions.ThreadsPerJob} cores");
            using var client = new GridTrainClient(grid.Address, token: grid.AdminToken);
            var request = fileSpec is null ? Request(settings, data) : new SubmitJobRequest { Batch = CpuBatch(), Spec = fileSpec };
            (job, interrupted) = await TrainAsync(client, request, grid, cancellationToken);
        }

        // After the grid has stopped, so nothing it logs can come after the summary.
        var summary = Summarize(job, workDirectory, data, context.Time.GetElapsedTime(started));
        Report(summary);
        if (settings.Json)
        {
            await context.Out.WriteLineAsync(JsonSerializer.Serialize(summary, DemoJsonContext.Default.DemoSummary));
        }

        await context.Out.FlushAsync(CancellationToken.None);
        return interrupted ? ExitCodes.Interrupted : job.State == JobState.Succeeded ? ExitCodes.Success : ExitCodes.Failure;
    }

    private async Task<(Job Job, bool Interrupted)> TrainAsync(GridTrainClient client, SubmitJobRequest request, EmbeddedGrid grid, CancellationToken cancellationToken)
    {
        var submitted = await client.Jobs.SubmitJobAsync(request, deadline: context.CallDeadline(), cancellationToken: cancellationToken);
        // The controller's copy has every default filled in.
        var spec = submitted.Spec ?? request.Spec;
        var h = spec.Hyperparameters ?? new Hyperparameters();
        var every = spec.Checkpoint?.EverySteps ?? 0;
        Say(spec.Command is not null
            ? $"job {submitted.Id}: {Describe(spec)}, in the session's workspace; checkpoints renamed into GRIDTRAIN_CHECKPOINT_DIR"
            : $"job {submitted.Id}: {spec.Model.Name}, {h.Optimizer} lr {Formats.Number(h.LearningRate)}, batch {h.BatchSize}, "
                + $"{h.Epochs} epoch(s), checkpoint " + (every > 0 ? $"every {every} steps" : "at epoch ends"));
        if (grid.Controller.WebAddress is { } web)
        {
            Say($"web console: {web} (this link signs you in once: {grid.Controller.CreateSignInLink(grid.AdminToken, $"/job/{submitted.Id}")})");
        }

        var view = new JobProgressView(context);
        try
        {
            return (await JobFollower.FollowAsync(context, client, submitted.Id, view, cancellationToken), false);
        }
        catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
        {
            view.Complete();
            Say($"interrupted: cancelling {submitted.Id}");
            using var stopping = new CancellationTokenSource(StopTimeout, context.Time);
            await client.Jobs.CancelJobAsync(new CancelJobRequest { JobId = submitted.Id }, deadline: context.CallDeadline(), cancellationToken: stopping.Token);
            return (await JobFollower.FollowAsync(context, client, submitted.Id, view: null, stopping.Token), true);
        }
    }

    private static SubmitJobRequest Request(DemoSettings settings, DemoData data) => new()
    {
        Batch = CpuBatch(),
        Spec = new JobSpec
        {
            Model = new ModelSpec { Name = "cnn" },
            Data = data.Spec,
            Hyperparameters = new Hyperparameters { Optimizer = "adam", LearningRate = 0.001, BatchSize = 64, Epochs = settings.Epochs, Seed = 1 },
            Checkpoint = new CheckpointPolicy { EverySteps = CheckpointEverySteps },
            DisplayName = "demo",
        },
    };

    private static string Describe(JobSpec spec) => spec.Command is { } command ? $"command: {string.Join(' ', command.Argv)}" : spec.Model.Name;

    private static BatchSession CpuBatch() => new() { Resources = new ResourceRequest { Runtime = Runtime.Cpu } };

    private static DemoSummary Summarize(Job job, string workDirectory, DemoData data, TimeSpan elapsed)
    {
        var result = job.Result ?? new JobResult { State = job.State };
        return new DemoSummary(
            job.Id,
            Formats.State(job.State),
            result.Steps > 0 ? result.Steps : job.Progress?.Step ?? 0,
            result.HasTestAccuracy ? result.TestAccuracy : null,
            result.CheckpointUri.Length > 0 ? result.CheckpointUri : job.LatestCheckpoint,
            result.TensorboardDir,
            result.SamplesPerSecond,
            workDirectory,
            data.Kind,
            result.Reason,
            Math.Round(elapsed.TotalSeconds, 1));
    }

    private void Report(DemoSummary summary)
    {
        context.Out.WriteLine();
        new Details()
            .Add("State", summary.State)
            .Add("Reason", summary.Reason)
            .Add("Steps", Formats.Integer(summary.Steps))
            .Add("Test accuracy", summary.TestAccuracy is { } accuracy ? Formats.Percent(accuracy) : null)
            .Add("Samples/s", summary.SamplesPerSecond > 0 ? Formats.Rate(summary.SamplesPerSecond) : null)
            .Add("Checkpoint", summary.Checkpoint)
            .Add("TensorBoard", summary.TensorboardDir.Length > 0 ? $"{summary.TensorboardDir}\n(view with: tensorboard --logdir {summary.TensorboardDir})" : null)
            .Add("Elapsed", Formats.Duration(TimeSpan.FromSeconds(summary.ElapsedSeconds)))
            .WriteTo(context.Out);
    }

    private static string CreateWorkDirectory(string? requested)
    {
        try
        {
            return requested is null
                ? Directory.CreateTempSubdirectory("gridtrain-demo-").FullName
                : Directory.CreateDirectory(Path.GetFullPath(requested)).FullName;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot create the work directory {requested}: {ex.Message}");
        }
    }

    private void Say(string line) => context.Out.WriteLine(line);
}
