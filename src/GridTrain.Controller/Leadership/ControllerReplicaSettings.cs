using System.Net;
using GridTrain.Controller.Security;
using GridTrain.Domain.Coordination;
using Microsoft.Extensions.Logging;

namespace GridTrain.Controller.Leadership;

/// <summary>What a replicated controller needs: its ports, the shared PostgreSQL database, and the leader lease.</summary>
public sealed class ControllerReplicaSettings
{
    public required IPEndPoint Listen { get; init; }

    public IPEndPoint? MetricsListen { get; init; }

    public IPEndPoint? WebListen { get; init; }

    /// <summary>The Npgsql connection string of the database every replica shares.</summary>
    public required string PostgresConnectionString { get; init; }

    /// <summary>
    /// The gRPC address clients are sent to while this replica leads, e.g. <c>http://10.0.0.5:7070</c>. Null: the
    /// bound address, or this host's name when listening on all interfaces.
    /// </summary>
    public Uri? AdvertisedAddress { get; init; }

    public GridOptions Grid { get; init; } = new();

    public ControllerSecurityOptions Security { get; init; } = ControllerSecurityOptions.FromEnvironment();

    public LeaderLeaseOptions Lease { get; init; } = new();

    public Action<ILoggingBuilder>? ConfigureLogging { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;
}
