using System.Runtime.InteropServices;

namespace GridTrain.Worker;

/// <summary>
/// Turns SIGTERM into cancellation instead of an immediate exit, so the training loop stops between two steps and
/// checkpoints first. SIGINT is ignored: a job process shares its agent's process group, so Ctrl+C in the agent's
/// terminal reaches it too, and the agent, which owns the job's lifecycle, stops it with SIGTERM and a reason.
/// </summary>
internal sealed class TerminationSignals : IDisposable
{
    private readonly CancellationTokenSource _cancellation = new();
    private readonly PosixSignalRegistration[] _registrations;

    public TerminationSignals()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGINT, context => context.Cancel = true),
        ];
    }

    public CancellationToken Token => _cancellation.Token;

    /// <summary>Also stops when standard input closes: the agent holds it open, so this fires when the agent dies.</summary>
    public void StopWhenStdinCloses(Stream standardInput)
    {
        var watcher = new Thread(() =>
        {
            var buffer = new byte[256];
            try
            {
                while (standardInput.Read(buffer) > 0)
                {
                }
            }
            catch (IOException)
            {
                // A broken pipe means the same as end of file here.
            }

            try
            {
                _cancellation.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The job already finished.
            }
        })
        {
            IsBackground = true,
            Name = "parent watch",
        };
        watcher.Start();
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _cancellation.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        _cancellation.Cancel();
    }
}
