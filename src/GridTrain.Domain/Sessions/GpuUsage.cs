namespace GridTrain.Domain.Sessions;

/// <summary>A period a session held <paramref name="Gpus"/> GPUs.</summary>
public sealed record GpuUsage(DateTimeOffset Start, DateTimeOffset End, int Gpus)
{
    /// <summary>GPU-hours of this period that fall within [<paramref name="from"/>, <paramref name="to"/>].</summary>
    public double GpuHoursWithin(DateTimeOffset from, DateTimeOffset to)
    {
        var start = Start > from ? Start : from;
        var end = End < to ? End : to;
        return end > start ? (end - start).TotalHours * Gpus : 0;
    }
}
