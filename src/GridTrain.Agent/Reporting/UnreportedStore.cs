using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GridTrain.Agent.Jobs;
using GridTrain.Agent.Hosting;
using GridTrain.Domain.Jobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GridTrain.Agent.Reporting;

/// <summary>
/// Reports the agent could not deliver before it stopped, kept as one JSON file per job attempt under
/// <c>unreported/</c> in the work directory until the controller has heard them.
/// </summary>
internal sealed partial class UnreportedStore(IOptions<AgentOptions> options, ILogger<UnreportedStore> logger)
{
    private readonly string _directory = Path.Combine(options.Value.WorkDirectory, "unreported");

    public void Save(UnreportedAttempt attempt)
    {
        Directory.CreateDirectory(_directory);
        var path = PathOf(attempt.JobId, attempt.LeaseEpoch);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(attempt, WorkerProtocol.JsonOptions));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The saved attempts, oldest first; a file that cannot be read is logged and set aside.</summary>
    public IReadOnlyList<UnreportedAttempt> Load()
    {
        if (!Directory.Exists(_directory))
        {
            return [];
        }

        var saved = new List<UnreportedAttempt>();
        foreach (var file in new DirectoryInfo(_directory).GetFiles("*.json").OrderBy(f => f.LastWriteTimeUtc))
        {
            try
            {
                saved.Add(JsonSerializer.Deserialize<UnreportedAttempt>(File.ReadAllText(file.FullName), WorkerProtocol.JsonOptions)
                    ?? throw new JsonException("the file holds null"));
            }
            catch (JsonException ex)
            {
                LogUnreadable(logger, file.FullName, ex);
                File.Move(file.FullName, file.FullName + ".unreadable", overwrite: true);
            }
        }

        return saved;
    }

    public void Delete(UnreportedAttempt attempt) => File.Delete(PathOf(attempt.JobId, attempt.LeaseEpoch));

    /// <summary>A job id that is a plain name (<see cref="JobPaths"/>) names its file; any other (a refused job's) is hashed into a name.</summary>
    private string PathOf(string jobId, long leaseEpoch)
    {
        var name = JobPaths.Check(jobId) is null ? jobId : "refused-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(jobId)))[..16];
        return Path.Combine(_directory, $"{name}.{leaseEpoch}.json");
    }

    [LoggerMessage(33, LogLevel.Warning, "Unreported job attempt file {Path} cannot be read and is set aside", EventName = "UnreportedUnreadable")]
    private static partial void LogUnreadable(ILogger logger, string path, Exception exception);
}
