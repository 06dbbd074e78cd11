using GridTrain.Agent.Hosting;
using GridTrain.Domain.Agents.Health;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GridTrain.Agent.Gpu.Health;

/// <summary>
/// Checks every GPU before the agent first registers (so none is leased unchecked) and every
/// <see cref="GpuHealthOptions.Interval"/> after, and keeps each GPU's health (<see cref="GpuHealthTracker"/>). The
/// operator's health command runs before the first check and again after a fault until it passes. Thread-safe.
/// </summary>
public sealed partial class GpuHealthWatch
{
    private readonly IGpuMonitor _gpus;
    private readonly GpuHealthOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<GpuHealthWatch> _logger;
    private readonly GpuHealthTracker _tracker;
    private readonly Dictionary<int, long?> _ecc = [];
    private readonly long[] _faults = new long[GpuFaultCauses.All.Count];
    private volatile bool _commandDue = true;

    public GpuHealthWatch(IGpuMonitor gpus, IOptions<AgentOptions> options, TimeProvider time, ILogger<GpuHealthWatch> logger)
    {
        _gpus = gpus;
        _options = options.Value.GpuHealth;
        _time = time;
        _logger = logger;
        _tracker = new GpuHealthTracker(time, _options.Readmission);
    }

    /// <summary>Raised (on the checking thread) when a GPU is taken out of service or comes back.</summary>
    public event Action? Changed;

    /// <summary>Each GPU's health now, by index.</summary>
    public IReadOnlyList<GpuHealth> Current => [.. _gpus.Devices.Select(d => _tracker.Of(d.Index, d.Uuid))];

    /// <summary>GPUs taken out of service for <paramref name="cause"/> since the agent started.</summary>
    public long Faults(GpuFaultCause cause) => Interlocked.Read(ref _faults[(int)cause - 1]);

    /// <summary>Checks every <see cref="GpuHealthOptions.Interval"/> until <paramref name="cancellationToken"/> ends it.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await Task.Delay(_options.Interval, _time, cancellationToken);
            await CheckAsync(cancellationToken);
        }
    }

    /// <summary>Checks every GPU once (running the health command first when it is due); a check that fails is logged.</summary>
    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            await CheckOnceAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogCheckFailed(_logger, ex);
        }
    }

    private async Task CheckOnceAsync(CancellationToken cancellationToken)
    {
        if (_gpus.Devices.Count == 0)
        {
            return;
        }

        string? commandFailure = null;
        if (_commandDue && _options.Command is { } command)
        {
            commandFailure = await GpuHealthCommand.RunAsync(command, _options.CommandTimeout, _time, cancellationToken);
            _commandDue = commandFailure is not null;
        }

        var changed = false;
        foreach (var device in _gpus.Devices)
        {
            if (!TryCheck(device.Index, device.Uuid, out var found))
            {
                continue;
            }

            var fault = found ?? (commandFailure is null ? null : new GpuFault(GpuFaultCause.HealthCommand, commandFailure));
            changed |= Observe(device.Index, device.Uuid, fault);
        }

        if (changed)
        {
            Changed?.Invoke();
        }
    }

    /// <summary>An admin's readmission: the GPU is in service now. False when it already was.</summary>
    public bool Readmit(int index, string reason)
    {
        if (_tracker.Readmit(index) is not { } health)
        {
            return false;
        }

        LogReadmitted(_logger, index, health.Uuid, reason);
        Changed?.Invoke();
        return true;
    }

    /// <summary>What the driver says is wrong with the GPU (null: nothing); false when it could not be read at all (not a lost GPU).</summary>
    private bool TryCheck(int index, string uuid, out GpuFault? fault)
    {
        fault = null;
        try
        {
            var signals = _gpus.ReadHealth(index);
            lock (_ecc)
            {
                fault = GpuFaultRules.Find(signals, _ecc.GetValueOrDefault(index));
                _ecc[index] = signals.UncorrectableEccErrors ?? _ecc.GetValueOrDefault(index);
                foreach (var xid in signals.Xids.Where(XidCodes.IsApplicationError))
                {
                    LogApplicationXid(_logger, index, uuid, xid);
                }

                return true;
            }
        }
        catch (GpuMonitorException ex) when (ex.IsLost)
        {
            fault = GpuFaultRules.Lost(ex.Message);
            return true;
        }
        catch (GpuMonitorException ex)
        {
            LogUnreadable(_logger, index, uuid, ex.Message);
            return false;
        }
    }

    private bool Observe(int index, string uuid, GpuFault? fault)
    {
        if (_tracker.Observe(index, uuid, fault) is not { } health)
        {
            return false;
        }

        if (health.Cause is { } cause)
        {
            Interlocked.Increment(ref _faults[(int)cause - 1]);
            _commandDue = true;
            LogOutOfService(_logger, index, health.Reason);
        }
        else
        {
            LogReadmitted(_logger, index, uuid, $"{_options.ReadmitCleanChecks} clean checks over {_options.ReadmitWindow}");
        }

        return true;
    }

    [LoggerMessage(1, LogLevel.Warning, "GPU {Index} out of service: {Reason}; its session moves and it takes no new sessions", EventName = "GpuOutOfService")]
    private static partial void LogOutOfService(ILogger logger, int index, string reason);

    [LoggerMessage(2, LogLevel.Information, "GPU {Index} ({Uuid}) back in service: {Reason}", EventName = "GpuReadmitted")]
    private static partial void LogReadmitted(ILogger logger, int index, string uuid, string reason);

    [LoggerMessage(4, LogLevel.Warning, "GPU {Index} ({Uuid}) health unreadable this check: {Detail}", EventName = "GpuHealthUnreadable")]
    private static partial void LogUnreadable(ILogger logger, int index, string uuid, string detail);

    [LoggerMessage(5, LogLevel.Error, "GPU health check failed; trying again at the next interval", EventName = "GpuHealthCheckFailed")]
    private static partial void LogCheckFailed(ILogger logger, Exception exception);

    [LoggerMessage(3, LogLevel.Information, "GPU {Index} ({Uuid}) reported application Xid {Xid}: the job's fault, not the GPU's", EventName = "ApplicationXid")]
    private static partial void LogApplicationXid(ILogger logger, int index, string uuid, int xid);
}
