using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GridTrain.Training.Checkpoints;

/// <summary>
/// The binary checkpoint format: a header (magic, format version, model signature, cursor, best-model state), then the
/// model's parameters and buffers, the optimizer's state and the CPU RNG state, in that order. Format 1 (without the
/// best-model state) is still read.
/// </summary>
internal static class CheckpointFile
{
    public const int FormatVersion = 2;
    private const string Magic = "GridTrain checkpoint";

    public static void Write(Stream stream, CheckpointHeader header, nn.Module model, OptimizerHelper optimizer)
    {
        using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(FormatVersion);
        writer.Write(header.ModelSignature);
        var cursor = header.Cursor;
        writer.Write(cursor.Step);
        writer.Write(cursor.Epoch);
        writer.Write(cursor.Position);
        writer.Write(cursor.EpochLossSum);
        writer.Write(cursor.EpochSteps);
        writer.Write(cursor.Best.Epoch);
        writer.Write(cursor.Best.Metric);
        writer.Write(cursor.Best.StaleEpochs);
        model.save(writer);
        optimizer.save_state_dict(writer);
        using var rng = torch.get_rng_state();
        rng.Save(writer);
    }

    /// <summary>Reads only the header; <see cref="InvalidDataException"/> when the file is not a checkpoint of this format.</summary>
    public static CheckpointHeader ReadHeader(BinaryReader reader, string path)
    {
        try
        {
            if (reader.ReadString() != Magic)
            {
                throw new InvalidDataException($"{path} is not a GridTrain checkpoint");
            }

            var version = reader.ReadInt32();
            if (version is not (1 or FormatVersion))
            {
                throw new InvalidDataException($"{path} has checkpoint format {version}; this worker reads format {FormatVersion}");
            }

            var signature = reader.ReadString();
            var cursor = new TrainingCursor(reader.ReadInt64(), reader.ReadInt32(), reader.ReadInt32(), reader.ReadDouble(), reader.ReadInt32());
            if (version >= 2)
            {
                cursor = cursor with { Best = new BestModel(reader.ReadInt32(), reader.ReadDouble(), reader.ReadInt32()) };
            }

            return new CheckpointHeader(signature, cursor);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException($"{path} is not a GridTrain checkpoint (too short)", ex);
        }
    }

    /// <summary>Loads the state that follows the header into <paramref name="model"/>, <paramref name="optimizer"/> and the CPU RNG.</summary>
    public static void ReadState(BinaryReader reader, nn.Module model, OptimizerHelper optimizer)
    {
        model.load(reader);
        optimizer.load_state_dict(reader);
        using var rng = TensorExtensionMethods.Load(reader);
        torch.set_rng_state(rng);
    }
}
