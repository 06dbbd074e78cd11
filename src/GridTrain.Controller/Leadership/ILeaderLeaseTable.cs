namespace GridTrain.Controller.Leadership;

/// <summary>The leader lease as the database keeps it; every expiry is judged on the database's clock.</summary>
public interface ILeaderLeaseTable
{
    /// <summary>Takes the lease when nobody holds it or it has expired; the new (strictly higher) term, or null when another replica holds it.</summary>
    Task<long?> TryAcquireAsync(string holder, string address, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>Extends the lease held as <paramref name="holder"/> under <paramref name="term"/>; false when it is no longer held so.</summary>
    Task<bool> RenewAsync(string holder, long term, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>Ends the lease now (a clean shutdown), so a standby need not wait for its expiry.</summary>
    Task ReleaseAsync(string holder, long term, CancellationToken cancellationToken);

    /// <summary>The current row; null when no replica has ever led.</summary>
    Task<LeaderRecord?> ReadAsync(CancellationToken cancellationToken);
}
