using GridTrain.Domain.Jobs;

namespace GridTrain.Agent.Jobs.Commands;

/// <summary>
/// Ships the bytes a command job's TensorBoard event files (<c>events.out.tfevents.*</c> in
/// <c>GRIDTRAIN_TENSORBOARD_DIR</c>) gained since the last call, as built-in jobs' are shipped: chunks of at most
/// 256 KiB, at most 16 MiB per attempt, and one log note when a job writes more.
/// </summary>
internal sealed class TensorBoardTail(string directory)
{
    private const int ChunkBytes = 256 * 1024;
    private const long MaxBytes = 16L * 1024 * 1024;

    private readonly Dictionary<string, long> _offsets = new(StringComparer.Ordinal);
    private long _shipped;
    private bool _overLimit;

    public IReadOnlyList<TrainingEvent> Read()
    {
        if (_overLimit || !Directory.Exists(directory))
        {
            return [];
        }

        var events = new List<TrainingEvent>();
        foreach (var path in Directory.EnumerateFiles(directory, "events.out.tfevents.*").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(path);
            var offset = _offsets.GetValueOrDefault(name);
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var available = stream.Length - offset;
            if (available <= 0)
            {
                continue;
            }

            if (_shipped + available > MaxBytes)
            {
                _overLimit = true;
                events.Add(new LogWritten("agent", $"TensorBoard files exceed {MaxBytes} bytes; later events stay in {directory} on the agent"));
                break;
            }

            stream.Position = offset;
            var buffer = new byte[ChunkBytes];
            int read;
            while (available > 0 && (read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, available))) > 0)
            {
                events.Add(new TensorBoardWritten(name, offset, buffer[..read]));
                offset += read;
                available -= read;
                _shipped += read;
            }

            _offsets[name] = offset;
        }

        return events;
    }
}
