using System.Text;
using GridTrain.Domain.Jobs;

namespace GridTrain.Agent.Jobs.Commands;

/// <summary>
/// Reads the lines a command job appends to its events file (<c>GRIDTRAIN_EVENTS</c>) since the last read, as
/// <see cref="CommandEvents"/> parses them. A line without its newline yet waits for the next read; a line that is no
/// event becomes a log note saying why, so a mistake in the program's events shows in <c>job logs</c>.
/// </summary>
internal sealed class EventsFileTail(string path)
{
    private readonly List<byte> _partial = [];
    private long _offset;
    private long _lineNumber;

    /// <summary>The step of the newest progress line read; null before the first.</summary>
    public long? LastStep { get; private set; }

    /// <summary>The events of the complete lines appended since the last call.</summary>
    public IReadOnlyList<TrainingEvent> Read()
    {
        if (!File.Exists(path))
        {
            return [];
        }

        byte[] appended;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            if (stream.Length <= _offset)
            {
                return [];
            }

            stream.Position = _offset;
            appended = new byte[stream.Length - _offset];
            stream.ReadExactly(appended);
            _offset += appended.Length;
        }

        var events = new List<TrainingEvent>();
        foreach (var b in appended)
        {
            if (b != (byte)'\n')
            {
                _partial.Add(b);
                continue;
            }

            var line = Encoding.UTF8.GetString([.. _partial]).TrimEnd('\r');
            _partial.Clear();
            _lineNumber++;
            if (CommandEvents.Parse(line, out var problem) is { } parsed)
            {
                if (parsed is ProgressReported progress)
                {
                    LastStep = progress.Step;
                }

                events.Add(parsed);
            }
            else if (problem is not null)
            {
                events.Add(new LogWritten("agent", $"GRIDTRAIN_EVENTS line {_lineNumber} ignored: {problem}"));
            }
        }

        return events;
    }
}
