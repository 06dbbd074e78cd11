using System.Net;
using System.Net.Sockets;

namespace GridTrain.Testing.Network;

/// <summary>How a cut proxy treats the agents' connections.</summary>
public enum CutMode
{
    /// <summary>Connections stay open, bytes go nowhere until healed (then what was held back arrives late): half-open.</summary>
    Hold,

    /// <summary>Every connection is closed, and new ones are closed as soon as they are accepted.</summary>
    Drop,
}

/// <summary>
/// A TCP proxy on loopback in front of one server (a controller, as the agents reach it): forwards, or when cut holds
/// connections half-open (bytes go nowhere, what was held back arrives late once healed) or drops them. Every pump
/// task is owned and awaited by <see cref="DisposeAsync"/>.
/// </summary>
public sealed class BlackholeProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _upstream;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _lock = new();
    private readonly List<(TcpClient Client, TcpClient Server, Task Pumps)> _connections = [];
    private readonly Task _accepting;
    private TaskCompletionSource _open = Opened();
    private CutMode? _cut;

    /// <summary>A proxy on a free loopback port in front of <paramref name="upstream"/> (a loopback address).</summary>
    public BlackholeProxy(Uri upstream)
        : this(0, upstream.Port)
    {
    }

    /// <summary>A proxy on loopback <paramref name="port"/> (0: any free one) in front of loopback <paramref name="upstreamPort"/>.</summary>
    public BlackholeProxy(int port, int upstreamPort)
    {
        _listener = new TcpListener(IPAddress.Loopback, port);
        _upstream = new IPEndPoint(IPAddress.Loopback, upstreamPort);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public Uri Address => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    public bool IsCut => _cut is not null;

    /// <summary>Stops forwarding in both directions, connections held open (half-open).</summary>
    public void Cut() => Cut(CutMode.Hold);

    public void Cut(CutMode mode)
    {
        List<(TcpClient Client, TcpClient Server, Task Pumps)> dropped = [];
        lock (_lock)
        {
            _cut = mode;
            if (_open.Task.IsCompleted)
            {
                _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            if (mode == CutMode.Drop)
            {
                dropped.AddRange(_connections);
            }
        }

        foreach (var (client, server, _) in dropped)
        {
            client.Dispose();
            server.Dispose();
        }
    }

    public void Heal()
    {
        lock (_lock)
        {
            _cut = null;
            _open.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        List<(TcpClient Client, TcpClient Server, Task Pumps)> connections;
        lock (_lock)
        {
            _open.TrySetResult();
            connections = [.. _connections];
        }

        foreach (var (client, server, _) in connections)
        {
            client.Dispose();
            server.Dispose();
        }

        await _accepting;
        await Task.WhenAll(connections.Select(c => c.Pumps));
        _stopping.Dispose();
    }

    private static TaskCompletionSource Opened()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stopping.Token);
                if (_cut == CutMode.Drop)
                {
                    client.Dispose();
                    continue;
                }

                var server = new TcpClient();
                try
                {
                    await server.ConnectAsync(_upstream, _stopping.Token);
                }
                catch (SocketException)
                {
                    // The controller is down: the agent sees its connection closed, as it would.
                    client.Dispose();
                    server.Dispose();
                    continue;
                }

                var pumps = Task.WhenAll(PumpAsync(client, server), PumpAsync(server, client));
                lock (_lock)
                {
                    _connections.Add((client, server, pumps));
                    _connections.RemoveAll(c => c.Pumps.IsCompleted);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Stopped.
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            var input = from.GetStream();
            var output = to.GetStream();
            while (true)
            {
                var read = await input.ReadAsync(buffer, _stopping.Token);
                if (read == 0)
                {
                    break;
                }

                Task open;
                lock (_lock)
                {
                    open = _open.Task;
                }

                await open.WaitAsync(_stopping.Token);
                await output.WriteAsync(buffer.AsMemory(0, read), _stopping.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or IOException or SocketException or InvalidOperationException)
        {
            // One side closed, the cut dropped it, or the proxy stopped.
        }
        finally
        {
            // Closing one direction closes both, as a TCP peer would see a reset.
            from.Dispose();
            to.Dispose();
        }
    }
}
