using System.Runtime.CompilerServices;
using Grpc.Core;
using Grpc.Net.Client;
using GridTrain.Protos.V1;

namespace GridTrain.Client;

/// <summary>
/// A connection to a GridTrain controller. The typed clients are the API as generated from
/// <c>protos/gridtrain/v1</c>; the helpers add what scripts need: event streams that survive reconnects
/// and waiting for a job to finish.
/// </summary>
public sealed class GridTrainClient : IDisposable
{
    private readonly LeaderFollowingInvoker _invoker;

    /// <param name="controller">The controller's address.</param>
    /// <param name="options">Channel settings.</param>
    /// <param name="token">The API token sent on every call; null: <c>GRIDTRAIN_TOKEN</c> from the environment; empty: none.</param>
    public GridTrainClient(Uri controller, GrpcChannelOptions? options = null, string? token = null)
        : this(controller, new GridTrainClientOptions { ChannelOptions = options, Token = token })
    {
    }

    /// <param name="controller">The controller's address.</param>
    /// <param name="options">Token, TLS trust and channel settings.</param>
    public GridTrainClient(Uri controller, GridTrainClientOptions options)
    {
        var token = ControllerChannel.ResolveToken(options.Token);
        var invoker = _invoker = ControllerChannel.CreateInvoker(controller, options, () => token);
        Sessions = new SessionService.SessionServiceClient(invoker);
        Jobs = new JobService.JobServiceClient(invoker);
        Fleet = new FleetService.FleetServiceClient(invoker);
        Tokens = new TokenService.TokenServiceClient(invoker);
        CallInvoker = invoker;
        Address = controller;
    }

    /// <summary>The first controller address given.</summary>
    public Uri Address { get; }

    /// <summary>The controller calls go to now: the leader, once a call has found it.</summary>
    public Uri CurrentAddress => _invoker.Current;

    public SessionService.SessionServiceClient Sessions { get; }

    public JobService.JobServiceClient Jobs { get; }

    public FleetService.FleetServiceClient Fleet { get; }

    /// <summary>API tokens (admins) and who the caller is.</summary>
    public TokenService.TokenServiceClient Tokens { get; }

    /// <summary>The channel to the first address, without the token: for health checks and reflection.</summary>
    public ChannelBase Channel => _invoker.PrimaryChannel;

    /// <summary>Calls that carry the token and follow the leading controller, for other typed clients.</summary>
    public CallInvoker CallInvoker { get; }

    /// <summary>
    /// A job's events after <paramref name="afterSequence"/>, live until the job finishes (or forever with
    /// <paramref name="follow"/>). A dropped stream is reopened from the last event seen, so nothing is missed
    /// or repeated; errors other than unavailability are thrown.
    /// </summary>
    public async IAsyncEnumerable<JobEvent> WatchJobAsync(string jobId, long afterSequence = 0, bool follow = false, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var last = afterSequence;
        var failures = 0;
        while (true)
        {
            using var call = Jobs.StreamJobEvents(new StreamJobEventsRequest { JobId = jobId, AfterSequence = last, Follow = follow }, cancellationToken: cancellationToken);
            var stream = call.ResponseStream;
            while (true)
            {
                JobEvent current;
                try
                {
                    if (!await stream.MoveNext(cancellationToken))
                    {
                        yield break;
                    }

                    current = stream.Current;
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable && ++failures <= 30 && !cancellationToken.IsCancellationRequested)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 100 * failures)), cancellationToken);
                    break;
                }

                failures = 0;
                if (current.Sequence <= last)
                {
                    continue;
                }

                last = current.Sequence;
                yield return current;
            }
        }
    }

    /// <summary>Follows a job's events until it finishes and returns the finished job.</summary>
    public async Task<Job> WaitForJobAsync(string jobId, Action<JobEvent>? onEvent = null, CancellationToken cancellationToken = default)
    {
        await foreach (var jobEvent in WatchJobAsync(jobId, cancellationToken: cancellationToken))
        {
            onEvent?.Invoke(jobEvent);
        }

        return await Jobs.GetJobAsync(new GetJobRequest { JobId = jobId }, cancellationToken: cancellationToken);
    }

    public void Dispose() => _invoker.Dispose();
}
