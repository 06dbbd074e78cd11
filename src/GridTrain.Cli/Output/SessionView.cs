using GridTrain.Protos.V1;

namespace GridTrain.Cli.Output;

/// <summary>Sessions for people.</summary>
internal static class SessionView
{
    public static Table Table(IEnumerable<Session> sessions, DateTimeOffset now)
    {
        var table = new Table("ID", "NAME", "STATE", "RUNTIME", "AGENT", "GPUS", "UNITS", "IDLE", "LEFT", "PRIORITY", "AGE", "REASON");
        foreach (var s in sessions)
        {
            table.Add(
                s.Id,
                Or(s.DisplayName),
                Formats.State(s.State) + (s.Batch ? " (batch)" : ""),
                Formats.Resources(s.Resources),
                Or(s.AgentId),
                s.GpuIndexes.Count == 0 ? Formats.None : string.Join(',', s.GpuIndexes),
                Units(s),
                IsLive(s) ? Formats.Age(s.LastActivityAt, now) : Formats.None,
                IsLive(s) ? TimeLeft(s, now) : Formats.None,
                Formats.Integer(s.Priority),
                Formats.Age(s.CreatedAt, now),
                Formats.Truncate(s.StateReason, 60));
        }

        return table;
    }

    /// <summary>Writes the sessions as a table, or <paramref name="whenEmpty"/> when there are none.</summary>
    public static void WriteList(TextWriter writer, IReadOnlyCollection<Session> sessions, string whenEmpty, DateTimeOffset now)
    {
        if (sessions.Count == 0)
        {
            writer.WriteLine(whenEmpty);
            return;
        }

        Table(sessions, now).WriteTo(writer);
    }

    public static Details Details(Session s, DateTimeOffset now) => new Details()
        .Add("ID", s.Id)
        .Add("Name", s.DisplayName)
        .Add("State", Formats.State(s.State))
        .Add("Reason", s.StateReason)
        .Add("Runtime", Formats.Resources(s.Resources))
        .Add("Batch", s.Batch ? "yes (ends with its job)" : "no")
        .Add("Priority", Formats.Integer(s.Priority))
        .Add("Agent", s.AgentId)
        .Add("GPUs", string.Join(',', s.GpuIndexes))
        .Add("Units", $"{Formats.Number(Math.Round(s.UnitsSpent, 2))} spent" + (s.UnitsPerHour > 0 ? $", burning {Formats.Number(s.UnitsPerHour)}/h now" : ""))
        .Add("Lease epoch", s.LeaseEpoch > 0 ? Formats.Integer(s.LeaseEpoch) : null)
        .Add("Idle timeout", s.IdleTimeout is null ? null : Formats.Duration(s.IdleTimeout.ToTimeSpan()))
        .Add("Max lifetime", s.MaxLifetime is null ? null : Formats.Duration(s.MaxLifetime.ToTimeSpan()))
        .Add("Last activity", s.LastActivityAt is null ? null : $"{Formats.Time(s.LastActivityAt)} ({Formats.Age(s.LastActivityAt, now)} ago)")
        .Add("Expires", s.ExpiresAt is null || !IsLive(s) ? null : $"{Formats.Time(s.ExpiresAt)} (in {TimeLeft(s, now)})")
        .Add("Created", $"{Formats.Time(s.CreatedAt)} ({Formats.Age(s.CreatedAt, now)} ago)")
        .Add("Updated", $"{Formats.Time(s.UpdatedAt)} ({Formats.Age(s.UpdatedAt, now)} ago)");

    public static Details Idleness(IdleExplanation why, DateTimeOffset now) => new Details()
        .Add("Session", why.SessionId)
        .Add("Idle", why.Idle ? "yes" : "no")
        .Add("Why", string.Join("\n", why.Reasons))
        .Add("Eviction", why.EvictionAt is null ? "none (the session holds no resources)" : $"{Formats.Time(why.EvictionAt)} (in {Formats.Duration(why.EvictionAt.ToDateTimeOffset() - now)}, {why.EvictionReason})")
        .Add("Last activity", $"{Formats.Time(why.LastActivityAt)} ({Formats.Age(why.LastActivityAt, now)} ago)")
        .Add("Expires", Formats.Time(why.ExpiresAt));

    /// <summary>Idle eviction and lifetime apply while a session holds (or waits for) resources.</summary>
    private static bool IsLive(Session s) => s.State is SessionState.Pending or SessionState.Starting or SessionState.Ready or SessionState.Busy;

    private static string TimeLeft(Session s, DateTimeOffset now) =>
        s.ExpiresAt is null ? Formats.None : Formats.Duration(TimeSpan.FromSeconds(Math.Max(0, (s.ExpiresAt.ToDateTimeOffset() - now).TotalSeconds)));

    /// <summary>Units spent, and the burn rate while the session spends: "1.25 (+6/h)".</summary>
    private static string Units(Session s) =>
        Formats.Number(Math.Round(s.UnitsSpent, 2)) + (s.UnitsPerHour > 0 ? $" (+{Formats.Number(s.UnitsPerHour)}/h)" : "");

    private static string Or(string value) => value.Length > 0 ? value : Formats.None;
}
