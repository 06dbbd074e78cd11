using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace GridTrain.Testing.FakeDrive;

/// <summary>
/// The bytes of one upload as they arrive (a resumable session's chunks, or a media upload's body piece by piece),
/// stored at the end of what was received and hashed incrementally. Once the upload is complete the session keeps
/// only the file's resource, which a completed resumable session answers with: no bytes, no hashers.
/// </summary>
internal sealed class UploadSession(JsonObject metadata, long? declaredLength, FieldSelection fields)
{
    private readonly Lock _completion = new();
    private readonly IncrementalHash _md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private MemoryStream _received = new((int)Math.Min(declaredLength ?? 0, int.MaxValue));
    private Task _hashing = Task.CompletedTask;
    private JsonObject? _completed;

    public JsonObject Metadata { get; } = metadata;

    /// <summary>The fields the initiating request asked for: what the completed upload answers with.</summary>
    public FieldSelection Fields { get; } = fields;

    public long? DeclaredLength { get; } = declaredLength;

    /// <summary>Bytes stored so far.</summary>
    public long Length => _received.Length;

    /// <summary>The created file's resource once the upload is complete, else null.</summary>
    public JsonObject? Completed
    {
        get
        {
            lock (_completion)
            {
                return _completed;
            }
        }
    }

    /// <summary>
    /// Stores bytes at the end of what was received. They are hashed behind the answer, in order, while the next
    /// bytes travel (as a server that checksums in its storage layer would); <see cref="TakeContent"/> waits.
    /// </summary>
    public void Append(ReadOnlySpan<byte> bytes)
    {
        var start = (int)_received.Length;
        _received.Write(bytes);
        var stored = _received.GetBuffer().AsMemory(start, bytes.Length);
        _hashing = _hashing.ContinueWith(
            _ =>
            {
                var md5 = Task.Run(() => _md5.AppendData(stored.Span));
                _sha256.AppendData(stored.Span);
                md5.GetAwaiter().GetResult();
            },
            CancellationToken.None,
            TaskContinuationOptions.None,
            TaskScheduler.Default);
    }

    /// <summary>
    /// The received bytes (without a copy when the declared length was exact) and their hex MD5 and SHA-256, once
    /// hashed. The session lets go of the bytes and the hashers: nothing can be appended after.
    /// </summary>
    public (byte[] Content, string Md5, string Sha256) TakeContent()
    {
        _hashing.GetAwaiter().GetResult();
        var buffer = _received.GetBuffer();
        var content = buffer.Length == _received.Length ? buffer : _received.ToArray();
        var md5 = Convert.ToHexStringLower(_md5.GetHashAndReset());
        var sha256 = Convert.ToHexStringLower(_sha256.GetHashAndReset());
        _md5.Dispose();
        _sha256.Dispose();
        _received = new MemoryStream(0);
        return (content, md5, sha256);
    }

    /// <summary>Marks the upload complete: from now on the session answers with <paramref name="resource"/> and holds nothing else.</summary>
    public void Complete(JsonObject resource)
    {
        lock (_completion)
        {
            _completed = resource;
        }
    }
}
