using GridTrain.Domain.Jobs;

namespace GridTrain.Training.TensorBoard;

/// <summary>
/// Reports the bytes the run's TensorBoard event files gained since the last call as <see cref="TensorBoardWritten"/>
/// events, in chunks of at most <see cref="ChunkBytes"/>, so the controller can hand the files to
/// <c>gridtrain job tensorboard</c> wherever it runs. At most <see cref="MaxBytes"/> are shipped per run; what is beyond
/// stays on the agent, and a log event says so once.
/// </summary>
internal sealed class TensorBoardShipper
{
    /// <summary>Largest chunk per event (the controller refuses larger ones).</summary>
    public const int ChunkBytes = 256 * 1024;

    /// <summary>Bytes shipped per run at most (16 MiB: scalars and per-epoch histograms of small models stay far below).</summary>
    public const long MaxBytes = 16L * 1024 * 1024;

    private readonly string _directory;
    private readonly Action<TrainingEvent> _report;
    private readonly long _maxBytes;
    private readonly Dictionary<string, long> _offsets = new(StringComparer.Ordinal);
    private long _shipped;
    private bool _overLimit;

    public TensorBoardShipper(string directory, Action<TrainingEvent> report, long maxBytes = MaxBytes)
    {
        _directory = directory;
        _report = report;
        _maxBytes = maxBytes;
    }

    public void Ship()
    {
        if (_overLimit || !Directory.Exists(_directory))
        {
            return;
        }

        foreach (var path in Directory.EnumerateFiles(_directory, "events.out.tfevents.*").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(path);
            var offset = _offsets.GetValueOrDefault(name);
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var available = stream.Length - offset;
            if (available <= 0)
            {
                continue;
            }

            if (_shipped + available > _maxBytes)
            {
                _overLimit = true;
                _report(new LogWritten("stderr", $"TensorBoard files exceed {_maxBytes} bytes; later events stay in {_directory} on the agent"));
                return;
            }

            stream.Position = offset;
            var buffer = new byte[ChunkBytes];
            while (available > 0)
            {
                var read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, available));
                if (read == 0)
                {
                    break;
                }

                _report(new TensorBoardWritten(name, offset, buffer[..read]));
                offset += read;
                available -= read;
                _shipped += read;
            }

            _offsets[name] = offset;
        }
    }
}
