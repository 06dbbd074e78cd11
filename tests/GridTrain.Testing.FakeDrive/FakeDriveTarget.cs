namespace GridTrain.Testing.FakeDrive;

/// <summary>Which requests an injected fault applies to.</summary>
public enum FakeDriveTarget
{
    /// <summary>A PUT carrying bytes to a resumable upload session.</summary>
    UploadChunk,

    /// <summary>The POST that opens a resumable upload, or a multipart upload.</summary>
    UploadStart,

    /// <summary>A GET of file content (<c>alt=media</c>).</summary>
    Download,

    /// <summary>Any Drive API request.</summary>
    Any,
}
