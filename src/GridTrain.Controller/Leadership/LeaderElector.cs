using System.Data.Common;
using Microsoft.Extensions.Logging;

namespace GridTrain.Controller.Leadership;

/// <summary>
/// Wins and keeps the leader lease. A standby tries to take the lease every <see cref="LeaderLeaseOptions.AcquireInterval"/>;
/// the leader renews it every <see cref="LeaderLeaseOptions.RenewInterval"/> and gives it up, marking its fence lost,
/// as soon as a renewal is refused or it cannot confirm the lease before it would expire (measured from the moment it
/// sent its last successful renewal, so the database's expiry is never earlier than the leader believes).
/// </summary>
public sealed partial class LeaderElector(ILeaderLeaseTable table, LeaderLeaseOptions options, TimeProvider time, ILogger<LeaderElector> logger)
{
    /// <summary>
    /// Waits until this replica leads, advertising <paramref name="address"/> (where clients reach it) in the lease;
    /// <paramref name="leaderSeen"/> hears of the current leader after each lost try.
    /// </summary>
    public async Task<LeaderTerm> AcquireAsync(string address, Action<LeaderRecord?> leaderSeen, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                if (await table.TryAcquireAsync(options.Holder, address, options.Ttl, cancellationToken) is { } term)
                {
                    LogElected(logger, options.Holder, term);
                    return new LeaderTerm(options.Holder, term);
                }

                leaderSeen(await table.ReadAsync(cancellationToken));
            }
            catch (Exception ex) when (ex is DbException or TimeoutException)
            {
                LogLeaseUnreachable(logger, ex.Message);
            }

            await Task.Delay(options.AcquireInterval, time, cancellationToken);
        }
    }

    /// <summary>
    /// Keeps the lease of <paramref name="fence"/> until it is lost (then marks the fence and returns) or
    /// <paramref name="cancellationToken"/> asks to stop (then releases it, so a standby takes over at once).
    /// </summary>
    public async Task HoldAsync(LeadershipFence fence, CancellationToken cancellationToken)
    {
        var term = fence.Term ?? throw new ArgumentException("the fence has no term: win the election first", nameof(fence));
        var confirmedAt = time.GetTimestamp();
        var wait = options.RenewInterval;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, fence.Lost);
        try
        {
            while (true)
            {
                await Task.Delay(wait, time, stop.Token);
                var remaining = options.Ttl - time.GetElapsedTime(confirmedAt);
                if (remaining <= TimeSpan.Zero)
                {
                    fence.MarkLost($"the lease of term {term.Term} could not be renewed within {options.Ttl.TotalSeconds}s");
                    return;
                }

                var sentAt = time.GetTimestamp();
                using var deadline = new CancellationTokenSource(remaining, time);
                using var call = CancellationTokenSource.CreateLinkedTokenSource(stop.Token, deadline.Token);
                try
                {
                    if (!await table.RenewAsync(term.Holder, term.Term, options.Ttl, call.Token))
                    {
                        fence.MarkLost($"the lease of term {term.Term} is no longer this replica's (another replica took it over)");
                        return;
                    }

                    confirmedAt = sentAt;
                    wait = options.RenewInterval;
                }
                catch (Exception ex) when (ex is DbException or TimeoutException || (ex is OperationCanceledException && !stop.IsCancellationRequested))
                {
                    LogRenewalFailed(logger, term.Term, ex.Message);
                    wait = options.RenewInterval / 4;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            if (!fence.Lost.IsCancellationRequested)
            {
                await ReleaseAsync(term);
            }
        }
    }

    private async Task ReleaseAsync(LeaderTerm term)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(2), time);
        try
        {
            await table.ReleaseAsync(term.Holder, term.Term, deadline.Token);
            LogReleased(logger, term.Term);
        }
        catch (Exception ex) when (ex is DbException or TimeoutException or OperationCanceledException)
        {
            LogReleaseFailed(logger, term.Term, ex.Message);
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Elected leader as {Holder}, term {Term}", EventName = "LeaderElected")]
    private static partial void LogElected(ILogger logger, string holder, long term);

    [LoggerMessage(2, LogLevel.Warning, "Cannot reach the leader lease: {Detail}", EventName = "LeaderLeaseUnreachable")]
    private static partial void LogLeaseUnreachable(ILogger logger, string detail);

    [LoggerMessage(3, LogLevel.Warning, "Renewing the leader lease of term {Term} failed; retrying until it would expire: {Detail}", EventName = "LeaderRenewalFailed")]
    private static partial void LogRenewalFailed(ILogger logger, long term, string detail);

    [LoggerMessage(4, LogLevel.Information, "Released the leader lease of term {Term}", EventName = "LeaderReleased")]
    private static partial void LogReleased(ILogger logger, long term);

    [LoggerMessage(5, LogLevel.Warning, "Could not release the leader lease of term {Term}; a standby takes over when it expires: {Detail}", EventName = "LeaderReleaseFailed")]
    private static partial void LogReleaseFailed(ILogger logger, long term, string detail);
}
