using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Quotas;
using GridTrain.Domain.Sessions;

namespace GridTrain.Domain.Coordination;

public sealed partial class GridCoordinator
{
    /// <summary>A user's GPU use against their quota.</summary>
    public Task<QuotaUsage> GetQuotaAsync(string owner, CancellationToken cancellationToken) =>
        RunReadAsync(async tx => QuotaPolicy.Measure(owner, await tx.ListSessionsAsync(), _options.Quota, tx.Now), cancellationToken);

    private async ValueTask<string?> QuotaRefusalAsync(GridTransaction tx, string owner, int gpus)
    {
        if (gpus == 0 || (_options.Quota.MaxConcurrentGpus == 0 && _options.Quota.GpuHoursPerWindow == 0))
        {
            return null;
        }

        var sessions = await tx.ListSessionsAsync();
        var usage = QuotaPolicy.Measure(owner, sessions, _options.Quota, tx.Now);
        return QuotaPolicy.Refusal(gpus, usage, sessions.Where(s => s.Owner == owner), tx.Now);
    }

    /// <summary>Pending sessions their owners' quotas allow now, in placement order; the rest wait.</summary>
    private List<Session> WithinQuota(IReadOnlyList<Session> pending, IReadOnlyList<Session> all, DateTimeOffset now)
    {
        if (_options.Quota.MaxConcurrentGpus == 0 && _options.Quota.GpuHoursPerWindow == 0)
        {
            return [.. pending];
        }

        var granted = new Dictionary<string, int>(StringComparer.Ordinal);
        var allowed = new List<Session>();
        foreach (var session in pending.OrderByDescending(s => s.Priority).ThenBy(s => s.QueueOrder))
        {
            var gpus = session.Resources.Runtime == Runtime.Gpu ? session.Resources.GpuCount : 0;
            var usage = QuotaPolicy.Measure(session.Owner, all, _options.Quota, now);
            usage = usage with { ConcurrentGpus = usage.ConcurrentGpus + granted.GetValueOrDefault(session.Owner) };
            if (QuotaPolicy.Refusal(gpus, usage, all.Where(s => s.Owner == session.Owner), now) is null)
            {
                granted[session.Owner] = granted.GetValueOrDefault(session.Owner) + gpus;
                allowed.Add(session);
            }
        }

        return allowed;
    }
}
