using System.Threading.Channels;

namespace GridTrain.Domain.AgentProtocol;

/// <summary>
/// One directive stream per connected agent. Opening a stream replaces (and completes) the agent's earlier one;
/// a directive for an agent without a stream is dropped: the agent catches up when it next opens one.
/// </summary>
public sealed class AgentDirectiveBus
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Channel<AgentDirective>> _streams = new(StringComparer.Ordinal);
    private long _version;

    /// <summary>Changes whenever a stream opens or closes: what <see cref="IsOpen"/> answers may have changed.</summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>Opens the agent's stream with <paramref name="catchUp"/> queued first, completing any earlier stream.</summary>
    public ChannelReader<AgentDirective> Open(string agentId, IEnumerable<AgentDirective> catchUp)
    {
        var stream = Channel.CreateUnbounded<AgentDirective>(new UnboundedChannelOptions { SingleReader = true });
        foreach (var directive in catchUp)
        {
            stream.Writer.TryWrite(directive);
        }

        Channel<AgentDirective>? previous;
        lock (_lock)
        {
            _streams.Remove(agentId, out previous);
            _streams[agentId] = stream;
            _version++;
        }

        previous?.Writer.TryComplete();
        return stream.Reader;
    }

    /// <summary>Whether the agent has an open stream (and so can be given work).</summary>
    public bool IsOpen(string agentId)
    {
        lock (_lock)
        {
            return _streams.ContainsKey(agentId);
        }
    }

    /// <summary>Queues a directive on the agent's stream; false when it has none.</summary>
    public bool Send(string agentId, AgentDirective directive)
    {
        lock (_lock)
        {
            return _streams.TryGetValue(agentId, out var stream) && stream.Writer.TryWrite(directive);
        }
    }

    /// <summary>Closes the agent's stream if <paramref name="reader"/> is still the current one; false when a newer stream replaced it.</summary>
    public bool Close(string agentId, ChannelReader<AgentDirective> reader)
    {
        Channel<AgentDirective>? current;
        lock (_lock)
        {
            if (!_streams.TryGetValue(agentId, out current) || current.Reader != reader)
            {
                return false;
            }

            _streams.Remove(agentId);
            _version++;
        }

        current.Writer.TryComplete();
        return true;
    }

    /// <summary>Closes the agent's stream, whichever it is (the agent was declared lost).</summary>
    public void Drop(string agentId)
    {
        Channel<AgentDirective>? stream;
        lock (_lock)
        {
            if (_streams.Remove(agentId, out stream))
            {
                _version++;
            }
        }

        stream?.Writer.TryComplete();
    }
}
