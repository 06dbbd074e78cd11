using System.Globalization;

namespace GridTrain.Training.Data;

/// <summary>
/// How CSV labels become class indexes: non-negative integers are their own index; otherwise the distinct training
/// labels in ordinal order. A test label the training rows lack is an error.
/// </summary>
internal sealed class LabelClasses
{
    private readonly Dictionary<string, long>? _names;

    private LabelClasses(Dictionary<string, long>? names, int count)
    {
        _names = names;
        Count = count;
    }

    public int Count { get; }

    public static LabelClasses From(string[] train, string[] test, string path)
    {
        if (train.Concat(test).All(l => long.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v < 100_000))
        {
            var max = train.Concat(test).Select(l => long.Parse(l, CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();
            return new LabelClasses(null, (int)max + 1);
        }

        var names = train.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select((name, i) => (name, (long)i)).ToDictionary(p => p.name, p => p.Item2, StringComparer.Ordinal);
        var unknown = test.FirstOrDefault(l => !names.ContainsKey(l));
        if (unknown is not null)
        {
            throw new TrainingUserException($"spec.data.csv: the test rows have label '{unknown}', which no training row of '{path}' has");
        }

        return new LabelClasses(names, names.Count);
    }

    public long[] Indexes(string[] labels) => _names is null
        ? [.. labels.Select(l => long.Parse(l, CultureInfo.InvariantCulture))]
        : [.. labels.Select(l => _names[l])];
}
