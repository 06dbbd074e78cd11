namespace GridTrain.Cli.Output;

/// <summary>Labelled fields of one object, values aligned: the table view of <c>get</c> commands.</summary>
internal sealed class Details
{
    private readonly List<(string Label, string Value)> _fields = [];

    /// <summary>Adds a field; empty values are left out.</summary>
    public Details Add(string label, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            _fields.Add((label, value));
        }

        return this;
    }

    public void WriteTo(TextWriter writer)
    {
        var width = _fields.Count == 0 ? 0 : _fields.Max(f => f.Label.Length) + 1;
        foreach (var (label, value) in _fields)
        {
            var lines = value.Split('\n');
            writer.WriteLine($"{(label + ":").PadRight(width)} {lines[0]}".TrimEnd());
            foreach (var more in lines.Skip(1))
            {
                writer.WriteLine($"{new string(' ', width)} {more}".TrimEnd());
            }
        }
    }
}
