using System.Net;
using GridTrain.Controller.Hosting;
using Microsoft.Extensions.Logging;

namespace GridTrain.Controller.Leadership;

/// <summary>
/// One of several controllers on one PostgreSQL database. It starts as a standby (<see cref="StandbyServer"/> on its
/// ports: nothing loaded, nothing scheduled); <see cref="LeadAsync"/> waits for the leader lease, then loads the
/// state and swaps the standby for the full <see cref="ControllerServer"/> whose every write is fenced by the term;
/// <see cref="ServeAsync"/> serves until shutdown or until leadership is lost. A replica never goes back to standby
/// by itself: its supervisor restarts it (a fresh process cannot carry a deposed leader's memory into a new term).
/// </summary>
public sealed partial class ControllerReplica : IAsyncDisposable
{
    private readonly ControllerReplicaSettings _settings;
    private readonly PostgresLeaderLeaseTable _table;
    private readonly ILoggerFactory _loggers;
    private readonly LeaderElector _elector;
    private readonly ILogger _logger;
    private StandbyServer? _standby;
    private ControllerServer? _server;
    private LeadershipFence? _fence;
    private CancellationTokenSource? _stopHolding;
    private Task? _holding;

    private ControllerReplica(ControllerReplicaSettings settings, PostgresLeaderLeaseTable table, StandbyServer standby)
    {
        _settings = settings;
        _table = table;
        _standby = standby;
        _loggers = LoggerFactory.Create(logging => settings.ConfigureLogging?.Invoke(logging));
        _elector = new LeaderElector(table, settings.Lease, settings.Time, _loggers.CreateLogger<LeaderElector>());
        _logger = _loggers.CreateLogger<ControllerReplica>();
        var scheme = settings.Security.UsesTls ? "https" : "http";
        var endpoints = standby.Endpoints;
        Address = Dialable(scheme, endpoints[0]);
        MetricsAddress = settings.MetricsListen is null ? null : Dialable("http", endpoints[1]);
        WebAddress = settings.WebListen is null ? null : Dialable(scheme, endpoints[^1]);
        AdvertisedAddress = settings.AdvertisedAddress
            ?? (endpoints[0].Address.Equals(IPAddress.Any) || endpoints[0].Address.Equals(IPAddress.IPv6Any) ? new Uri($"{scheme}://{Dns.GetHostName()}:{endpoints[0].Port}") : Address);
    }

    /// <summary>The gRPC address to dial on this machine (bound port resolved).</summary>
    public Uri Address { get; }

    public Uri? MetricsAddress { get; }

    public Uri? WebAddress { get; }

    /// <summary>The address the lease names while this replica leads.</summary>
    public Uri AdvertisedAddress { get; }

    /// <summary>The term this replica leads under; null while it is a standby.</summary>
    public LeaderTerm? Term => _fence?.Term;

    /// <summary>Why leadership was lost; null while held (or never won).</summary>
    public string? LostReason => _fence?.Reason;

    /// <summary>Opens the lease and binds the ports as a standby.</summary>
    public static async Task<ControllerReplica> StartAsync(ControllerReplicaSettings settings, CancellationToken cancellationToken)
    {
        var problems = settings.Lease.Validate().ToList();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", problems), nameof(settings));
        }

        var table = await PostgresLeaderLeaseTable.OpenAsync(settings.PostgresConnectionString, cancellationToken);
        try
        {
            var standby = await StandbyServer.StartAsync(settings.Listen, settings.MetricsListen, settings.WebListen, settings.Security, settings.ConfigureLogging, cancellationToken);
            return new ControllerReplica(settings, table, standby);
        }
        catch
        {
            await table.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Builds the controller (its store opened, nothing loaded or started, every write refused), waits for the leader
    /// lease, then loads the state and serves as the leader on the same ports.
    /// </summary>
    public async Task<ControllerServer> LeadAsync(CancellationToken cancellationToken)
    {
        var standby = _standby ?? throw new InvalidOperationException("this replica already leads");
        try
        {
            SeeLeader(standby, await _table.ReadAsync(cancellationToken));
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or TimeoutException)
        {
            LogLeaderUnknown(_logger, ex.Message);
        }

        _fence = new LeadershipFence();
        var endpoints = standby.Endpoints;
        var storage = new ControllerStorageOptions { PostgresConnectionString = _settings.PostgresConnectionString, Fence = _fence, FenceTtl = _settings.Lease.Ttl };
        _server = await ControllerServer.CreateAsync(
            endpoints[0],
            _settings.MetricsListen is null ? null : endpoints[1],
            storage,
            _settings.Grid,
            _settings.ConfigureLogging,
            cancellationToken,
            _settings.Security,
            _settings.WebListen is null ? null : endpoints[^1]);
        _fence.Assign(await _elector.AcquireAsync(AdvertisedAddress.ToString().TrimEnd('/'), leader => SeeLeader(standby, leader), cancellationToken));
        // Renewals start with the lease, not once serving: the lease's clock runs from its acquisition.
        _stopHolding = new CancellationTokenSource();
        _holding = _elector.HoldAsync(_fence, _stopHolding.Token);
        await standby.StopAsync(cancellationToken);
        await standby.DisposeAsync();
        _standby = null;
        await _server.StartAsync(cancellationToken);
        return _server;
    }

    /// <summary>
    /// Serves as the leader, renewing the lease, until <paramref name="cancellationToken"/> asks to stop (the lease is
    /// then released for a quick handover) or leadership is lost; returns <see cref="LostReason"/>.
    /// </summary>
    public async Task<string?> ServeAsync(CancellationToken cancellationToken)
    {
        var server = _server ?? throw new InvalidOperationException("call LeadAsync first");
        var fence = _fence!;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, fence.Lost);
        try
        {
            await server.WaitForShutdownAsync(stop.Token);
        }
        finally
        {
            await StopHoldingAsync();
        }

        return fence.Reason;
    }

    public async ValueTask DisposeAsync()
    {
        await StopHoldingAsync();
        if (_standby is not null)
        {
            await _standby.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        await _table.DisposeAsync();
        _fence?.Dispose();
        _loggers.Dispose();
    }

    /// <summary>Stops renewing (releasing the lease unless it was lost) and waits for the renewals to end.</summary>
    private async Task StopHoldingAsync()
    {
        if (_stopHolding is null || _holding is null)
        {
            return;
        }

        await _stopHolding.CancelAsync();
        await _holding;
        _stopHolding.Dispose();
        _stopHolding = null;
        _holding = null;
    }

    private void SeeLeader(StandbyServer standby, LeaderRecord? leader)
    {
        if (leader is not null && leader.Address != standby.Leader)
        {
            standby.Leader = leader.Address;
            LogStandingBy(_logger, leader.Address, leader.Term);
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Standing by: the leader is at {Address} (term {Term})", EventName = "StandingBy")]
    private static partial void LogStandingBy(ILogger logger, string address, long term);

    [LoggerMessage(2, LogLevel.Warning, "Standing by; the leader is not known yet: {Detail}", EventName = "LeaderUnknown")]
    private static partial void LogLeaderUnknown(ILogger logger, string detail);

    private static Uri Dialable(string scheme, IPEndPoint endpoint)
    {
        var host = endpoint.Address.Equals(IPAddress.Any) || endpoint.Address.Equals(IPAddress.IPv6Any) ? "127.0.0.1" : endpoint.Address.ToString();
        return new Uri($"{scheme}://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{endpoint.Port}");
    }
}
