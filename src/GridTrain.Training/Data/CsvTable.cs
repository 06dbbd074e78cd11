using System.Text;

namespace GridTrain.Training.Data;

/// <summary>
/// A CSV file read as text: a header line of column names, then rows of fields separated by commas. Fields may be
/// double-quoted (a doubled quote inside is a quote). Blank lines are skipped. Problems name the file and line.
/// </summary>
internal sealed class CsvTable
{
    private CsvTable(string path, IReadOnlyList<string> header, IReadOnlyList<(int Line, string[] Fields)> rows)
    {
        Path = path;
        Header = header;
        Rows = rows;
    }

    public string Path { get; }

    public IReadOnlyList<string> Header { get; }

    public IReadOnlyList<(int Line, string[] Fields)> Rows { get; }

    public static CsvTable Read(string path, string field)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new TrainingUserException($"{field}: cannot read '{path}': {ex.Message}", ex);
        }

        var header = -1;
        var rows = new List<(int, string[])>();
        string[]? columns = null;
        for (var i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i]))
            {
                continue;
            }

            var fields = Split(lines[i], path, i + 1);
            if (columns is null)
            {
                columns = fields;
                header = i;
                continue;
            }

            if (fields.Length != columns.Length)
            {
                throw new TrainingUserException($"{path}:{i + 1}: {fields.Length} fields, but the header (line {header + 1}) has {columns.Length} columns");
            }

            rows.Add((i + 1, fields));
        }

        if (columns is null)
        {
            throw new TrainingUserException($"{field}: '{path}' is empty; a header line of column names is required");
        }

        return new CsvTable(path, columns, rows);
    }

    private static string[] Split(string line, string path, int lineNumber)
    {
        var fields = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    current.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(current.ToString().Trim());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }

        if (quoted)
        {
            throw new TrainingUserException($"{path}:{lineNumber}: unterminated quoted field");
        }

        fields.Add(current.ToString().Trim());
        return [.. fields];
    }
}
