namespace GridTrain.Checkpoints.Drive;

/// <summary>Where and how the agent talks to Google Drive. Configuration section <c>Drive</c> (environment <c>GRIDTRAIN_Drive__*</c>).</summary>
public sealed class DriveOptions
{
    /// <summary>The Drive API's base address. Default <c>https://www.googleapis.com/</c>; tests point it at a fake.</summary>
    public Uri Endpoint { get; set; } = new("https://www.googleapis.com/");

    /// <summary>Id of the folder that holds one folder per job (in a shared drive for a service account). Required.</summary>
    public string RootFolderId { get; set; } = "";

    /// <summary>Id of the shared drive the root folder is in; empty for My Drive (an OAuth user's own Drive).</summary>
    public string SharedDriveId { get; set; } = "";

    /// <summary>
    /// A credentials JSON file: a service account key or an <c>authorized_user</c> refresh token. Empty: the JSON in
    /// <c>$GRIDTRAIN_DRIVE_CREDENTIALS_JSON</c>, else application default credentials.
    /// </summary>
    public string CredentialsFile { get; set; } = "";

    /// <summary>Bytes per upload request; a multiple of 256 KiB. Default 8 MiB.</summary>
    public int ChunkSize { get; set; } = 8 * 1024 * 1024;

    /// <summary>Downloads larger than this are fetched in ranges of this size. Default 8 MiB.</summary>
    public int DownloadRangeSize { get; set; } = 8 * 1024 * 1024;

    /// <summary>First retry delay of the exponential backoff (doubled each time, plus jitter). Default 1 second.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest retry delay. Default 32 seconds.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(32);

    /// <summary>Retries of one operation before its failure counts as lasting. Default 8.</summary>
    public int MaxRetries { get; set; } = 8;

    /// <summary>Deadline of one HTTP request. Default 2 minutes.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>256 KiB: the unit of resumable upload chunks.</summary>
    public const int ChunkUnit = 256 * 1024;

    /// <summary>Problems with the options, each with a hint.</summary>
    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(RootFolderId))
        {
            yield return "Drive:RootFolderId: set the id of the Drive folder for checkpoints (--drive-root-folder), e.g. the id in https://drive.google.com/drive/folders/ID";
        }

        if (ChunkSize <= 0 || ChunkSize % ChunkUnit != 0)
        {
            yield return $"Drive:ChunkSize: must be a positive multiple of 262144 (256 KiB), got {ChunkSize}";
        }

        if (DownloadRangeSize <= 0)
        {
            yield return $"Drive:DownloadRangeSize: must be positive, got {DownloadRangeSize}";
        }

        if (Endpoint.Scheme is not ("http" or "https"))
        {
            yield return $"Drive:Endpoint: must be an http(s) address, got {Endpoint}";
        }

        if (MaxRetries < 0 || RetryBaseDelay < TimeSpan.Zero || RetryMaxDelay < RetryBaseDelay)
        {
            yield return "Drive:MaxRetries/RetryBaseDelay/RetryMaxDelay: retries must be ≥ 0 and 0 ≤ base delay ≤ max delay";
        }

        if (!string.IsNullOrEmpty(CredentialsFile) && !File.Exists(CredentialsFile))
        {
            yield return $"Drive:CredentialsFile: {CredentialsFile} does not exist (--drive-credentials)";
        }
    }
}
