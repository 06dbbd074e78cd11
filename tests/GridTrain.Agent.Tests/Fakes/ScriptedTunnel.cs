using System.Runtime.CompilerServices;
using System.Threading.Channels;
using GridTrain.Agent.Connection.Tunnels;
using GridTrain.Domain.AgentProtocol;

namespace GridTrain.Agent.Tests.Fakes;

/// <summary>
/// A tunnel in memory: the test writes the user's frames to <see cref="Input"/> (completing it ends the tunnel, as
/// the controller ending the call does) and reads what the agent sent from <see cref="Output"/>.
/// </summary>
internal sealed class ScriptedTunnel(string tunnelId) : ITunnel
{
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string TunnelId { get; } = tunnelId;

    public Channel<TunnelFrame> Input { get; } = Channel.CreateUnbounded<TunnelFrame>();

    /// <summary>Bounded to one frame, like a transport whose window is full until the reader reads.</summary>
    public Channel<TunnelFrame> Output { get; } = Channel.CreateBounded<TunnelFrame>(1);

    /// <summary>Completes when the agent has sent its last frame.</summary>
    public Task Completed => _completed.Task;

    public bool Disposed { get; private set; }

    public async IAsyncEnumerable<TunnelFrame> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var frame in Input.Reader.ReadAllAsync(cancellationToken))
        {
            yield return frame;
        }
    }

    public async Task WriteAsync(TunnelFrame frame, CancellationToken cancellationToken)
    {
        if (Input.Reader.Completion.IsCompleted)
        {
            throw new TunnelClosedException("the scripted controller ended the tunnel");
        }

        await Output.Writer.WriteAsync(frame, cancellationToken);
    }

    public Task CompleteAsync()
    {
        _completed.TrySetResult();
        Output.Writer.TryComplete();
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        Output.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }
}
