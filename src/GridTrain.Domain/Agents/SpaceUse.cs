namespace GridTrain.Domain.Agents;

/// <summary>Bytes in use out of the bytes there are: a machine's RAM, or a file system.</summary>
public sealed record SpaceUse(long UsedBytes, long TotalBytes)
{
    /// <summary>Problems with the reading, each naming its field under <paramref name="field"/>.</summary>
    public IEnumerable<string> Validate(string field)
    {
        if (TotalBytes < 0)
        {
            yield return $"{field}.total_bytes: must not be negative, got {TotalBytes}";
        }

        if (UsedBytes < 0 || UsedBytes > TotalBytes)
        {
            yield return $"{field}.used_bytes: must be between 0 and total_bytes ({TotalBytes}), got {UsedBytes}";
        }
    }
}
