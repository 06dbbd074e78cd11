using System.Text.Json;
using GridTrain.Domain.Jobs;

namespace GridTrain.Worker;

/// <summary>Reads the <see cref="WorkerRequest"/> the agent wrote for this process.</summary>
internal static class RequestFile
{
    public static WorkerRequest Read(string path)
    {
        using var stream = File.OpenRead(path);
        return JsonSerializer.Deserialize<WorkerRequest>(stream, WorkerProtocol.JsonOptions)
            ?? throw new InvalidDataException($"{path} holds no request");
    }
}
