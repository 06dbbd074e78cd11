using GridTrain.Cli.Output;
using GridTrain.Client;
using GridTrain.Protos.V1;

namespace GridTrain.Cli.Commands.Jobs;

/// <summary>Shows a job's progress until it finishes, then returns the finished job.</summary>
internal static class JobFollower
{
    /// <summary>A null <paramref name="view"/> follows silently.</summary>
    public static async Task<Job> FollowAsync(CliContext context, GridTrainClient client, string jobId, JobProgressView? view, CancellationToken cancellationToken)
    {
        await foreach (var jobEvent in client.WatchJobAsync(jobId, cancellationToken: cancellationToken))
        {
            view?.OnEvent(jobEvent);
        }

        view?.Complete();
        return await client.Jobs.GetJobAsync(new GetJobRequest { JobId = jobId }, deadline: context.CallDeadline(), cancellationToken: cancellationToken);
    }
}
