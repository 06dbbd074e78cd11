using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.IO.Compression;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;

namespace GridTrain.Controller.Grpc;

/// <summary>
/// Reads a streaming call's requests straight from its HTTP/2 request body as gRPC frames (a compressed flag, a 4-byte
/// big-endian length, the message), for a stream that spends its life waiting: an agent's heartbeats.
/// </summary>
/// <remarks>
/// gRPC's own reader makes a new task for every message it waits for, and the call's long-lived objects point at that
/// task while the agent's next heartbeat is seconds away. Each such reference from an old object to a new one is a card
/// the garbage collector must scan in every collection until the next full one of the young generations: at 10,000
/// agents they were 56 % of the cards (<c>bench/GridTrain.GcTrace crossgen</c>, docs/benchmarks.md), and card scanning
/// most of each pause. This reader waits in a pooled frame that the same thread takes back for the stream's next wait,
/// so a waiting stream points only at objects as old as itself. It applies what gRPC's reader does (the message size
/// limit, gzip-compressed messages) and answers what it cannot read as <see cref="Security.MalformedRequestGuard"/>
/// answers a call's single request.
/// </remarks>
internal sealed class RequestFrameReader<T>(ServerCallContext context, MessageDescriptor input, int maxMessageBytes)
    where T : class, IMessage<T>
{
    private const int HeaderBytes = 5;

    private readonly PipeReader _body = context.GetHttpContext().Request.BodyReader;

    // From HTTP's headers: gRPC leaves its own (grpc-encoding among them) out of the call's RequestHeaders.
    private readonly string? _encoding = context.GetHttpContext().Request.Headers["grpc-encoding"].FirstOrDefault();

    /// <summary>The next request; null once the client has ended its side of the stream.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<T?> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await _body.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (TryRead(ref buffer, out var message))
            {
                // Not examined beyond the message: a request already behind it is read without waiting.
                _body.AdvanceTo(buffer.Start);
                return message;
            }

            if (result.IsCompleted)
            {
                _body.AdvanceTo(buffer.End);
                return buffer.IsEmpty ? null : throw new RpcException(new Status(StatusCode.Internal, "The request stream ended inside a message."));
            }

            _body.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private bool TryRead(ref ReadOnlySequence<byte> buffer, [NotNullWhen(true)] out T? message)
    {
        message = null;
        if (buffer.Length < HeaderBytes)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[HeaderBytes];
        buffer.Slice(0, HeaderBytes).CopyTo(header);
        var compressed = header[0] switch
        {
            0 => false,
            1 => true,
            var flag => throw new RpcException(new Status(StatusCode.Internal, $"A request's compressed flag is {flag}; gRPC allows 0 or 1.")),
        };
        var length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        if (length > (uint)maxMessageBytes)
        {
            throw TooLarge();
        }

        if (buffer.Length < HeaderBytes + length)
        {
            return false;
        }

        var payload = buffer.Slice(HeaderBytes, length);
        try
        {
            message = (T)(compressed ? input.Parser.ParseFrom(Decompress(payload)) : input.Parser.ParseFrom(payload));
        }
        catch (InvalidProtocolBufferException)
        {
            // As MalformedRequestGuard answers a call's single request.
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"request: not a valid {input.FullName} message (malformed protobuf)"));
        }

        buffer = buffer.Slice(payload.End);
        return true;
    }

    private byte[] Decompress(ReadOnlySequence<byte> payload)
    {
        if (_encoding is null or "identity")
        {
            throw new RpcException(new Status(StatusCode.Internal, "A request is marked compressed, but the call names no grpc-encoding."));
        }

        if (_encoding != "gzip")
        {
            throw new RpcException(new Status(StatusCode.Unimplemented, $"Unsupported grpc-encoding value '{_encoding}'. Supported encodings: gzip"));
        }

        using var gzip = new GZipStream(new MemoryStream(payload.ToArray()), CompressionMode.Decompress);
        using var decompressed = new MemoryStream();
        var chunk = new byte[16 * 1024];
        for (var read = gzip.Read(chunk); read > 0; read = gzip.Read(chunk))
        {
            if (decompressed.Length + read > maxMessageBytes)
            {
                throw TooLarge();
            }

            decompressed.Write(chunk, 0, read);
        }

        return decompressed.ToArray();
    }

    private RpcException TooLarge() => new(new Status(StatusCode.ResourceExhausted, $"request: larger than the {maxMessageBytes} bytes accepted"));
}
