namespace GridTrain.Controller.Storage;

/// <summary>
/// The ids of records grouped by a key taken from each record (a record whose key is null is in no group), kept current
/// as records are replaced; the records themselves are looked up by id where their owner keeps them. A group holds ids,
/// not records, so replacing a record whose key did not change writes nothing here: a changed session is a new object,
/// and every old collection pointing at it is one more place each garbage collection must scan until it is promoted.
/// Not thread-safe: its owner reads and writes it under one lock.
/// </summary>
/// <typeparam name="TKey">What records are grouped by: an agent id, an owner, a state.</typeparam>
/// <typeparam name="T">The record.</typeparam>
internal sealed class GroupIndex<TKey, T>(Func<T, TKey?> keyOf, Func<string, T> recordOf, IEqualityComparer<TKey>? comparer = null)
    where TKey : notnull
    where T : class
{
    private readonly Dictionary<TKey, HashSet<string>> _groups = new(comparer);

    /// <summary>Files <paramref name="record"/> (id <paramref name="id"/>) under its key, out of the group <paramref name="before"/> was in.</summary>
    public void Replace(string id, T? before, T record)
    {
        var key = keyOf(record);
        if (before is not null && keyOf(before) is { } old)
        {
            if (key is not null && _groups.Comparer.Equals(old, key))
            {
                return;
            }

            if (_groups.TryGetValue(old, out var left))
            {
                left.Remove(id);
                if (left.Count == 0)
                {
                    _groups.Remove(old);
                }
            }
        }

        if (key is null)
        {
            return;
        }

        if (!_groups.TryGetValue(key, out var group))
        {
            group = new HashSet<string>(StringComparer.Ordinal);
            _groups[key] = group;
        }

        group.Add(id);
    }

    /// <summary>A copy of the records filed under <paramref name="key"/>.</summary>
    public IReadOnlyList<T> Get(TKey key) => _groups.TryGetValue(key, out var group) ? [.. group.Select(recordOf)] : [];

    /// <summary>A copy of every record in any group.</summary>
    public IReadOnlyList<T> All() => [.. _groups.Values.SelectMany(group => group).Select(recordOf)];
}
