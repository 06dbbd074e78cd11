using GridTrain.Domain.Jobs;

namespace GridTrain.Training.Tests.Infrastructure;

/// <summary>Records the events of a run, optionally acting on each as it arrives.</summary>
public sealed class EventLog
{
    private readonly Action<TrainingEvent>? _onEvent;

    public EventLog(Action<TrainingEvent>? onEvent = null)
    {
        _onEvent = onEvent;
    }

    public List<TrainingEvent> Events { get; } = [];

    public IEnumerable<T> OfType<T>() => Events.OfType<T>();

    public void Report(TrainingEvent data)
    {
        Events.Add(data);
        _onEvent?.Invoke(data);
    }
}
