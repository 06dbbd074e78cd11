using GridTrain.Cli.Errors;
using GridTrain.Protos.V1;

namespace GridTrain.Cli.Commands.Jobs;

/// <summary>Writes TensorBoard chunks into files of one directory, each chunk at its offset; only plain file names are accepted.</summary>
internal sealed class TensorBoardFiles(string directory)
{
    private readonly HashSet<string> _files = new(StringComparer.Ordinal);

    public int Count => _files.Count;

    public long Bytes { get; private set; }

    public void Write(TensorBoardChunk chunk)
    {
        if (chunk.File.Length == 0 || chunk.File != Path.GetFileName(chunk.File) || chunk.File is "." or ".." || chunk.Offset < 0)
        {
            throw new CliException($"the controller sent a TensorBoard chunk for '{chunk.File}' at offset {chunk.Offset}, which is not a plain file name and offset");
        }

        var path = Path.Combine(directory, chunk.File);
        using (var stream = new FileStream(path, _files.Add(chunk.File) ? FileMode.Create : FileMode.OpenOrCreate, FileAccess.Write))
        {
            stream.Position = chunk.Offset;
            chunk.Data.WriteTo(stream);
        }

        Bytes += chunk.Data.Length;
    }
}
