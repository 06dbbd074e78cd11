using GridTrain.Protos.V1;

namespace GridTrain.Cli.Output;

/// <summary>Sessions for people.</summary>
internal static class SessionView
{
    public static Table Table(IEnumerable<Session> sessions, DateTimeOffset now)
    {
        var table = new Table("ID", "NAME", "STATE", "RUNTIME", "AGENT", "GPUS", "PRIORITY", "AGE", "REASON");
        foreach (var s in sessions)
        {
            table.Add(
                s.Id,
                Or(s.DisplayName),
                Formats.State(s.State) + (s.Batch ? " (batch)" : ""),
                Formats.Resources(s.Resources),
                Or(s.AgentId),
                s.GpuIndexes.Count == 0 ? Formats.None : string.Join(',', s.GpuIndexes),
                Formats.Integer(s.Priority),
                Formats.Age(s.CreatedAt, now),
                Formats.Truncate(s.StateReason, 60));
        }

        return table;
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
        .Add("Lease epoch", s.LeaseEpoch > 0 ? Formats.Integer(s.LeaseEpoch) : null)
        .Add("Created", $"{Formats.Time(s.CreatedAt)} ({Formats.Age(s.CreatedAt, now)} ago)")
        .Add("Updated", $"{Formats.Time(s.UpdatedAt)} ({Formats.Age(s.UpdatedAt, now)} ago)");

    private static string Or(string value) => value.Length > 0 ? value : Formats.None;
}
