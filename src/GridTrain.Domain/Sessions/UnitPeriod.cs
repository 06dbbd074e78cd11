namespace GridTrain.Domain.Sessions;

/// <summary>A period a session held resources charged <paramref name="UnitsPerHour"/> compute units an hour.</summary>
public sealed record UnitPeriod(DateTimeOffset Start, DateTimeOffset End, double UnitsPerHour)
{
    /// <summary>Units of this period that fall within [<paramref name="from"/>, <paramref name="to"/>].</summary>
    public double UnitsWithin(DateTimeOffset from, DateTimeOffset to)
    {
        var start = Start > from ? Start : from;
        var end = End < to ? End : to;
        return end > start ? (end - start).TotalHours * UnitsPerHour : 0;
    }
}
