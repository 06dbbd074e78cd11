using GridTrain.Domain.Jobs;

namespace GridTrain.Worker;

/// <summary>Writes events as protocol lines, one flushed line each, so the agent sees them as they happen.</summary>
internal sealed class EventWriter
{
    private readonly TextWriter _output;
    private readonly Lock _lock = new();

    public EventWriter(TextWriter output)
    {
        _output = output;
    }

    public void Write(TrainingEvent data)
    {
        var line = WorkerProtocol.Format(data);
        lock (_lock)
        {
            _output.WriteLine(line);
            _output.Flush();
        }
    }
}
