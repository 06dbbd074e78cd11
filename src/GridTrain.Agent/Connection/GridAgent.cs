using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client;
using GridTrain.Agent.Gpu;
using GridTrain.Agent.Checkpoints;
using GridTrain.Agent.Hosting;
using GridTrain.Agent.Jobs;
using GridTrain.Client;
using GridTrain.Contracts.Mapping;
using GridTrain.Protos.V1;
using Microsoft.Extensions.Logging;
using Polly;

namespace GridTrain.Agent.Connection;

/// <summary>
/// An agent's life: register, keep the command stream open, heartbeat, and run what the controller assigns.
/// When the controller is unreachable it reconnects with backoff; when the controller has forgotten it
/// (NOT_FOUND) it registers again, listing what it still holds and runs.
/// </summary>
public sealed partial class GridAgent : IAsyncDisposable
{
    private readonly AgentOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<GridAgent> _logger;
    private readonly GrpcChannel _channel;
    private readonly AgentService.AgentServiceClient _client;
    private readonly ResiliencePipeline _reconnect;
    private readonly ResiliencePipeline _report;
    private readonly ConcurrentDictionary<string, HeldSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RunningJob> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PendingStart> _pendingStarts = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _heartbeatNow = new(0, 1);
    private readonly string _workerPath;
    private readonly IGpuMonitor _gpus;
    private readonly JobStorage _storage;
    private volatile string? _agentId;
    private volatile string? _credential;
    private volatile bool _connected;
    private TimeSpan _heartbeatInterval = TimeSpan.FromSeconds(2);
    private TimeSpan? _agentTimeout;

    /// <param name="options">Where to join and how to run jobs.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">The agent's log.</param>
    /// <param name="gpus">The machine's GPUs (advertised unless <see cref="AgentOptions.Gpus"/> lists them); none when null.</param>
    public GridAgent(AgentOptions options, TimeProvider time, ILogger<GridAgent> logger, IGpuMonitor? gpus = null)
    {
        var problems = options.Validate().ToList();
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid agent options: " + string.Join("; ", problems), nameof(options));
        }

        _options = options;
        _time = time;
        _logger = logger;
        _channel = ControllerChannel.Create(options.Controller!, new GridTrainClientOptions
        {
            CaFile = options.CaFile,
            ClientCertificateFile = options.ClientCertificateFile,
            ClientKeyFile = options.ClientKeyFile,
            ChannelOptions = new GrpcChannelOptions { MaxReceiveMessageSize = 16 * 1024 * 1024 },
        });
        // Register carries the join token itself; every later call the credential Register returned.
        _client = new AgentService.AgentServiceClient(ControllerChannel.WithToken(_channel, () => _credential));
        // UNAUTHENTICATED: the controller no longer knows this agent's credential (e.g. restarted without its state),
        // or the join token is wrong; either way, registering again is the cure (and logs why it fails).
        _reconnect = AgentResilience.Create(
            ReconnectCap,
            time,
            ex => AgentResilience.IsTransient(ex) || ex.StatusCode is StatusCode.NotFound or StatusCode.Unauthenticated,
            (failure, delay) => Log.Reconnecting(_logger, options.Controller!, failure.StatusCode, failure.Status.Detail, delay));
        // Reports retry UNAUTHENTICATED too: a report sent with the credential a re-registration (after a controller
        // restart) has just replaced must wait for the new one, not escape and orphan its job.
        _report = AgentResilience.Create(ReconnectCap, time, ex => AgentResilience.IsTransient(ex) || ex.StatusCode == StatusCode.Unauthenticated);
        _workerPath = options.WorkerPath ?? Path.Combine(AppContext.BaseDirectory, "GridTrain.Worker.dll");
        _gpus = gpus ?? new NoGpus();
        _storage = JobStorage.Create(options, time, logger);
    }

    /// <summary>Checkpoints spooled by jobs and not yet in the store (0 for the local store).</summary>
    public int CheckpointUploadBacklog => _storage.Uploader?.Backlog ?? 0;

    /// <summary>
    /// The reconnect backoff's cap: the configured one, but at most a third of the controller's agent timeout once
    /// known, so that an agent retries several times before a restarted controller would declare it lost.
    /// </summary>
    private TimeSpan ReconnectCap()
    {
        var cap = _options.MaxReconnectDelay;
        return _agentTimeout is { } timeout && timeout > TimeSpan.Zero && timeout / 3 < cap ? timeout / 3 : cap;
    }

    /// <summary>The id the controller gave this agent; null until registered.</summary>
    public string? AgentId => _agentId;

    /// <summary>True while registered with the controller and connected; false before, and between a lost connection and the next registration.</summary>
    public bool IsConnected => _connected;

    /// <summary>What the agent holds and runs now, for metrics.</summary>
    internal AgentStatus Status() => new(
        _sessions.Values.Select(s => new HeldSessionStatus(s.SessionId, s.LeaseEpoch, s.GpuIndexes)).ToList(),
        _jobs.Values.Select(j => new RunningJobStatus(j.JobId, j.SessionId, j.LatestProgress)).ToList());

    /// <summary>Process ids of the job processes running now, by job id (for diagnostics and tests).</summary>
    public IReadOnlyDictionary<string, int> JobProcesses => _jobs.ToDictionary(j => j.Key, j => j.Value.Process.ProcessId);

    /// <summary>Runs until <paramref name="stoppingToken"/> is cancelled, then stops its job processes.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        Directory.CreateDirectory(_options.WorkDirectory);
        ResumeUploads();
        try
        {
            await _reconnect.ExecuteAsync(ConnectedAsync, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await Task.WhenAll(_jobs.Values.Select(j => j.Process.StopAsync("agent shutting down", _options.StopGracePeriod)));
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var job in _jobs.Values)
        {
            job.Process.Kill();
        }

        await Task.WhenAll(_jobs.Values.Select(j => j.Reporting));
        await _storage.DisposeAsync();
        _channel.Dispose();
    }

    /// <summary>One connection: register, then heartbeat and receive commands until either fails.</summary>
    private async ValueTask ConnectedAsync(CancellationToken stoppingToken)
    {
        await RegisterAsync(stoppingToken);
        _connected = true;
        try
        {
            await ServeConnectionAsync(stoppingToken);
        }
        finally
        {
            _connected = false;
        }
    }

    private async Task ServeConnectionAsync(CancellationToken stoppingToken)
    {
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var heartbeats = HeartbeatLoopAsync(connection.Token);
        var commands = CommandLoopAsync(connection.Token);
        var first = await Task.WhenAny(heartbeats, commands);
        await connection.CancelAsync();
        try
        {
            await Task.WhenAll(heartbeats, commands);
        }
        catch (OperationCanceledException) when (connection.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
        {
            // The other loop stopped because this connection ended; the first one's failure is rethrown below.
        }

        await first;
    }

    private async Task RegisterAsync(CancellationToken cancellationToken)
    {
        var request = new RegisterAgentRequest
        {
            Name = _options.Name,
            Inventory = Inventory.InventoryProbe.Probe(_options, _gpus).ToProto(),
            Version = typeof(GridAgent).Assembly.GetName().Version?.ToString() ?? "",
        };
        request.Sessions.AddRange(Leases());
        request.RunningJobs.AddRange(RunningJobs());

        var join = new Metadata { { "authorization", "Bearer " + _options.JoinToken } };
        var response = await _client.RegisterAsync(request, join, deadline: Deadline(), cancellationToken: cancellationToken);
        _credential = response.AgentCredential;
        _agentId = response.AgentId;
        _heartbeatInterval = response.HeartbeatInterval.ToTimeSpan();
        _agentTimeout = response.AgentTimeout?.ToTimeSpan();
        Log.Registered(_logger, _options.Name, response.AgentId, _options.Controller!);
        await ApplyAsync(request.Sessions, request.RunningJobs, response.StopJobIds, response.ReleaseSessionIds);
    }

    private async Task HeartbeatLoopAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var request = new HeartbeatRequest { AgentId = _agentId! };
            request.Sessions.AddRange(Leases());
            request.RunningJobs.AddRange(RunningJobs());
            var response = await _client.HeartbeatAsync(request, deadline: Deadline(), cancellationToken: cancellationToken);
            await ApplyAsync(request.Sessions, request.RunningJobs, response.StopJobIds, response.ReleaseSessionIds);

            // Wait for the interval, or less when something changed that the controller should hear about now.
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var tick = Task.Delay(_heartbeatInterval, _time, wait.Token);
            var nudge = _heartbeatNow.WaitAsync(wait.Token);
            await Task.WhenAny(tick, nudge);
            await wait.CancelAsync();
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private async Task CommandLoopAsync(CancellationToken cancellationToken)
    {
        using var call = _client.ReceiveCommands(new ReceiveCommandsRequest { AgentId = _agentId! }, cancellationToken: cancellationToken);
        await foreach (var command in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            try
            {
                await HandleAsync(command);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One bad command (a job that cannot start, a disk error) must not take the agent down.
                Log.CommandFailed(_logger, command.CommandCase.ToString(), ex);
            }
        }

        throw new RpcException(new Status(StatusCode.Unavailable, "the controller closed the command stream"));
    }

    private async Task HandleAsync(AgentCommand command)
    {
        switch (command.CommandCase)
        {
            case AgentCommand.CommandOneofCase.AssignSession:
                Assign(command.AssignSession);
                break;
            case AgentCommand.CommandOneofCase.ReleaseSession:
                // Commands come in order, so this one is about the session's latest lease here: an attempt still waiting to start goes too.
                StopPendingStarts(p => p.Start.SessionId == command.ReleaseSession.SessionId, command.ReleaseSession.Reason);
                await ReleaseAsync(command.ReleaseSession.SessionId, long.MaxValue, command.ReleaseSession.Reason);
                break;
            case AgentCommand.CommandOneofCase.StartJob:
                await StartJobAsync(command.StartJob);
                break;
            case AgentCommand.CommandOneofCase.CancelJob:
                // Likewise about the latest attempt, even one still waiting for its predecessor to exit. (Heartbeat
                // answers name stale processes only, so they stop running processes and nothing else.)
                StopPendingStarts(p => p.Start.JobId == command.CancelJob.JobId, command.CancelJob.Reason);
                StopJob(command.CancelJob.JobId, command.CancelJob.Reason);
                break;
            default:
                Log.UnknownCommand(_logger, command.CommandCase.ToString());
                break;
        }
    }

    private void Assign(AssignSession assign)
    {
        _sessions[assign.SessionId] = new HeldSession(assign.SessionId, assign.LeaseEpoch, [.. assign.GpuIndexes]);
        Log.SessionAssigned(_logger, assign.SessionId, assign.LeaseEpoch);
        NudgeHeartbeat();
    }

    /// <summary>Releases the session, and stops its jobs, if held under <paramref name="upToEpoch"/> or an earlier lease.</summary>
    private async Task ReleaseAsync(string sessionId, long upToEpoch, string reason)
    {
        if (_sessions.TryGetValue(sessionId, out var held) && held.LeaseEpoch <= upToEpoch)
        {
            _sessions.TryRemove(new KeyValuePair<string, HeldSession>(sessionId, held));
        }

        await Task.WhenAll(_jobs.Values.Where(j => j.SessionId == sessionId && j.LeaseEpoch <= upToEpoch).Select(j => j.Process.StopAsync(reason, _options.StopGracePeriod)));
        NudgeHeartbeat();
    }

    /// <summary>
    /// Applies a Register or Heartbeat answer. It is about the leases the request listed: a lease granted since (its
    /// AssignSession or StartJob overtook the answer on the command stream) is newer than the answer and stays.
    /// </summary>
    private async Task ApplyAsync(IEnumerable<SessionLease> listedSessions, IEnumerable<Protos.V1.RunningJob> listedJobs, IEnumerable<string> stopJobIds, IEnumerable<string> releaseSessionIds)
    {
        var jobEpochs = listedJobs.ToDictionary(j => j.JobId, j => j.LeaseEpoch, StringComparer.Ordinal);
        foreach (var jobId in stopJobIds)
        {
            if (jobEpochs.TryGetValue(jobId, out var epoch))
            {
                StopJob(jobId, "the controller no longer runs this job here", epoch);
            }
        }

        var sessionEpochs = listedSessions.ToDictionary(s => s.SessionId, s => s.LeaseEpoch, StringComparer.Ordinal);
        foreach (var sessionId in releaseSessionIds)
        {
            if (sessionEpochs.TryGetValue(sessionId, out var epoch))
            {
                await ReleaseAsync(sessionId, epoch, "the controller released the session");
            }
        }
    }

    private void StopPendingStarts(Func<PendingStart, bool> which, string reason)
    {
        foreach (var waiting in _pendingStarts.Values.Where(which))
        {
            waiting.Stop(reason);
        }
    }

    /// <summary>Stops the job's process if it runs under <paramref name="upToEpoch"/> or an earlier lease.</summary>
    private void StopJob(string jobId, string reason, long upToEpoch = long.MaxValue)
    {
        if (_jobs.TryGetValue(jobId, out var job) && job.LeaseEpoch <= upToEpoch)
        {
            Log.StoppingJob(_logger, jobId, reason);
            _ = StopInBackgroundAsync(job, reason);
        }
    }

    private async Task StopInBackgroundAsync(RunningJob job, string reason)
    {
        try
        {
            await job.Process.StopAsync(reason, _options.StopGracePeriod);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.StopFailed(_logger, job.JobId, ex);
        }
    }

    private void NudgeHeartbeat()
    {
        if (_heartbeatNow.CurrentCount == 0)
        {
            try
            {
                _heartbeatNow.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another nudge got there first.
            }
        }
    }

    /// <summary>The sessions held, each with its GPUs' mean utilization now when they can be read (for GPU stall detection).</summary>
    private IEnumerable<SessionLease> Leases()
    {
        foreach (var held in _sessions.Values)
        {
            var lease = new SessionLease { SessionId = held.SessionId, LeaseEpoch = held.LeaseEpoch };
            if (MeanUtilization(held.GpuIndexes) is { } utilization)
            {
                lease.GpuUtilization = utilization;
            }

            yield return lease;
        }
    }

    /// <summary>Mean utilization of the GPUs; null without GPUs or when any of them cannot be read.</summary>
    private double? MeanUtilization(IReadOnlyList<int> gpuIndexes)
    {
        if (gpuIndexes.Count == 0)
        {
            return null;
        }

        var sum = 0.0;
        foreach (var index in gpuIndexes)
        {
            try
            {
                if (_gpus.Read(index).Utilization is not { } utilization)
                {
                    return null;
                }

                sum += utilization;
            }
            catch (GpuMonitorException)
            {
                return null;
            }
        }

        return sum / gpuIndexes.Count;
    }

    private IEnumerable<Protos.V1.RunningJob> RunningJobs() =>
        _jobs.Values.Select(j => new Protos.V1.RunningJob { JobId = j.JobId, LeaseEpoch = j.LeaseEpoch });

    private DateTime Deadline() => _time.GetUtcNow().UtcDateTime + _options.CallTimeout;

    private sealed record HeldSession(string SessionId, long LeaseEpoch, IReadOnlyList<int> GpuIndexes);
}
