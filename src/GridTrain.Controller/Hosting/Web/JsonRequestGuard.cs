using System.Text.Json;
using Google.Protobuf.Reflection;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;
using Microsoft.AspNetCore.Http;
using GridTrain.Controller.Security;

namespace GridTrain.Controller.Hosting.Web;

/// <summary>
/// Checks a JSON API request body against the method's request message before transcoding (which would answer a
/// mistyped field with "Request JSON payload is not correctly formatted." and ignore an unknown one): malformed JSON,
/// an unknown field, a value of the wrong type or an unknown enum name get 400 naming the field and what it takes.
/// Bodies larger than the gRPC receive limit get 413.
/// </summary>
internal sealed class JsonRequestGuard(RequestDelegate next, ControllerSecurityOptions security)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<GrpcJsonTranscodingMetadata>() is not { HttpRule.Body: "*" } transcoded
            || context.Request.ContentLength == 0)
        {
            await next(context);
            return;
        }

        var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        if (body.Length > security.MaxReceiveMessageBytes)
        {
            await RefuseAsync(context, StatusCodes.Status413PayloadTooLarge, 8, $"request body: larger than the {security.MaxReceiveMessageBytes} bytes accepted");
            return;
        }

        if (body.Length > 0 && Problem(body.GetBuffer().AsMemory(0, (int)body.Length), transcoded.MethodDescriptor.InputType) is { } problem)
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest, 3, problem);
            return;
        }

        body.Position = 0;
        context.Request.Body = body;
        await next(context);
    }

    private static string? Problem(ReadOnlyMemory<byte> body, MessageDescriptor input)
    {
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 32 });
            return MessageProblem(document.RootElement, input, "");
        }
        catch (JsonException ex)
        {
            return $"request body: not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1})";
        }
    }

    private static string? MessageProblem(JsonElement value, MessageDescriptor message, string path)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            return $"{Name(path, "request body")}: must be a JSON object ({message.Name}), got {Kind(value)}";
        }

        foreach (var property in value.EnumerateObject())
        {
            var field = message.Fields.InDeclarationOrder().FirstOrDefault(f => f.JsonName == property.Name || f.Name == property.Name);
            var fieldPath = path.Length == 0 ? property.Name : $"{path}.{property.Name}";
            if (field is null)
            {
                return $"{fieldPath}: unknown field of {message.Name}; it has {string.Join(", ", message.Fields.InFieldNumberOrder().Select(f => f.JsonName))}";
            }

            if (property.Value.ValueKind != JsonValueKind.Null && FieldProblem(property.Value, field, fieldPath) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    private static string? FieldProblem(JsonElement value, FieldDescriptor field, string path)
    {
        if (field.IsMap)
        {
            return value.ValueKind == JsonValueKind.Object ? null : $"{path}: must be a JSON object (a map), got {Kind(value)}";
        }

        if (field.IsRepeated)
        {
            if (value.ValueKind != JsonValueKind.Array)
            {
                return $"{path}: must be a JSON array, got {Kind(value)}";
            }

            var index = 0;
            foreach (var item in value.EnumerateArray())
            {
                if (ValueProblem(item, field, $"{path}[{index++}]") is { } problem)
                {
                    return problem;
                }
            }

            return null;
        }

        return ValueProblem(value, field, path);
    }

    private static string? ValueProblem(JsonElement value, FieldDescriptor field, string path)
    {
        var numeric = value.ValueKind == JsonValueKind.Number || (value.ValueKind == JsonValueKind.String && double.TryParse(value.GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));
        return field.FieldType switch
        {
            FieldType.Bool => value.ValueKind is JsonValueKind.True or JsonValueKind.False ? null : $"{path}: must be true or false, got {Kind(value)}",
            FieldType.String or FieldType.Bytes => value.ValueKind == JsonValueKind.String ? null : $"{path}: must be a string, got {Kind(value)}",
            FieldType.Enum when value.ValueKind == JsonValueKind.String => field.EnumType.FindValueByName(value.GetString()!) is null
                ? $"{path}: '{value.GetString()}' is not one of {string.Join(", ", field.EnumType.Values.Select(v => v.Name))}"
                : null,
            FieldType.Enum => value.ValueKind == JsonValueKind.Number ? null : $"{path}: must be one of {string.Join(", ", field.EnumType.Values.Select(v => v.Name))}, got {Kind(value)}",
            FieldType.Message when field.MessageType.FullName is "google.protobuf.Duration" or "google.protobuf.Timestamp" =>
                value.ValueKind == JsonValueKind.String ? null : $"{path}: must be a string ({(field.MessageType.Name == "Duration" ? "seconds with an 's' suffix, e.g. \"3600s\"" : "an RFC 3339 time")}), got {Kind(value)}",
            FieldType.Message => MessageProblem(value, field.MessageType, path),
            _ => numeric ? null : $"{path}: must be a number, got {Kind(value)}",
        };
    }

    private static string Name(string path, string whole) => path.Length == 0 ? whole : path;

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    private static Task RefuseAsync(HttpContext context, int status, int code, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new JsonRequestError(code, message, []), context.RequestAborted);
    }
}

/// <summary>A refused JSON request, in the shape of the API's other errors (google.rpc.Status).</summary>
internal sealed record JsonRequestError(int Code, string Message, object[] Details);
