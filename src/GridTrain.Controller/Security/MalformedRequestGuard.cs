using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Frozen;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using GridTrain.Protos.V1;
using Microsoft.AspNetCore.Http;

namespace GridTrain.Controller.Security;

/// <summary>
/// Answers a GridTrain call whose request is not a valid protobuf message of the method's input type with
/// INVALID_ARGUMENT naming the type (gRPC itself would answer UNKNOWN "Exception was thrown by handler."), and one
/// larger than the receive limit with RESOURCE_EXHAUSTED, before any handler runs. The request is read once, bounded
/// by the limit, and handed on as read.
/// </summary>
internal sealed class MalformedRequestGuard(RequestDelegate next, ControllerSecurityOptions security)
{
    private const int FrameHeader = 5;

    private static readonly FrozenDictionary<string, MessageDescriptor> s_inputs = new[]
        {
            SessionService.Descriptor, JobService.Descriptor, FleetService.Descriptor, TokenService.Descriptor, AgentService.Descriptor,
        }
        .SelectMany(s => s.Methods)
        .Where(m => !m.IsClientStreaming)
        .ToFrozenDictionary(m => $"/{m.Service.FullName}/{m.Name}", m => m.InputType, StringComparer.Ordinal);

    public async Task InvokeAsync(HttpContext context)
    {
        if (!s_inputs.TryGetValue(context.Request.Path.Value ?? "", out var input)
            || context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) != true)
        {
            await next(context);
            return;
        }

        var limit = security.MaxReceiveMessageBytes + FrameHeader;
        var body = new MemoryStream();
        // Every call comes through here (thousands of heartbeats a second): the read buffer is pooled, not allocated.
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                body.Write(buffer, 0, read);
                if (body.Length > limit)
                {
                    Refuse(context, 8, $"request: larger than the {security.MaxReceiveMessageBytes} bytes accepted");
                    return;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (Problem(body.GetBuffer().AsSpan(0, (int)body.Length), input) is { } problem)
        {
            Refuse(context, 3, problem);
            return;
        }

        body.Position = 0;
        context.Request.Body = body;
        await next(context);
    }

    /// <summary>What is wrong with a request body of one gRPC frame; null when it parses (or when gRPC should judge it, e.g. compressed).</summary>
    private static string? Problem(ReadOnlySpan<byte> body, MessageDescriptor input)
    {
        if (body.Length < FrameHeader || body[0] != 0)
        {
            return null;
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(body[1..]);
        if (length != body.Length - FrameHeader)
        {
            return null;
        }

        try
        {
            input.Parser.ParseFrom(body[FrameHeader..]);
            return null;
        }
        catch (InvalidProtocolBufferException)
        {
            return $"request: not a valid {input.FullName} message (malformed protobuf)";
        }
    }

    /// <summary>A trailers-only gRPC answer.</summary>
    private static void Refuse(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/grpc";
        context.Response.Headers["grpc-status"] = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.Headers["grpc-message"] = Uri.EscapeDataString(message);
    }
}
