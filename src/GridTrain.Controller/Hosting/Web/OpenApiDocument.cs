using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Google.Api;
using Google.Protobuf.Reflection;
using GridTrain.Protos.V1;

namespace GridTrain.Controller.Hosting.Web;

/// <summary>
/// The OpenAPI 3.0 document of the HTTP/JSON API, built from the same protos the gRPC API and the JSON transcoding
/// use: one operation per <c>google.api.http</c> rule, one schema per message (proto3 JSON: lowerCamel names, enums
/// as their names, 64-bit integers as numbers, timestamps as RFC 3339, durations as <c>"1.5s"</c>, fields at their
/// default value left out).
/// </summary>
internal static partial class OpenApiDocument
{
    /// <summary>The user-facing services the HTTP/JSON API transcodes.</summary>
    public static readonly IReadOnlyList<ServiceDescriptor> Services =
        [SessionService.Descriptor, JobService.Descriptor, FleetService.Descriptor, TokenService.Descriptor];

    private static readonly Lazy<string> s_json = new(() => Build().ToJsonString());

    /// <summary>The document as JSON text (built once).</summary>
    public static string Json => s_json.Value;

    public static JsonObject Build()
    {
        var paths = new JsonObject();
        var schemas = new SortedDictionary<string, JsonNode>(StringComparer.Ordinal);
        foreach (var method in Services.SelectMany(s => s.Methods))
        {
            if (method.GetOptions()?.GetExtension(AnnotationsExtensions.Http) is not { } rule || Route(rule) is not var (verb, path))
            {
                continue;
            }

            var pathItem = paths[path] as JsonObject ?? new JsonObject();
            paths[path] = pathItem;
            pathItem[verb] = Operation(method, rule, path, verb, schemas);
        }

        schemas["Status"] = new JsonObject
        {
            ["type"] = "object",
            ["description"] = "An error: the gRPC status code, and a message that says what is wrong (naming the field at fault).",
            ["properties"] = new JsonObject
            {
                ["code"] = new JsonObject { ["type"] = "integer", ["format"] = "int32" },
                ["message"] = new JsonObject { ["type"] = "string" },
                ["details"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "object" } },
            },
        };
        return new JsonObject
        {
            ["openapi"] = "3.0.3",
            ["info"] = new JsonObject
            {
                ["title"] = "GridTrain HTTP/JSON API",
                ["version"] = "v1",
                ["description"] = "The gRPC API (gridtrain.v1) transcoded to HTTP/JSON. Every call takes 'Authorization: Bearer <token>'. Streams answer with one JSON message per line as events arrive. Fields at their default value (0, false, empty) are left out of answers.",
            },
            ["components"] = new JsonObject
            {
                ["securitySchemes"] = new JsonObject { ["bearer"] = new JsonObject { ["type"] = "http", ["scheme"] = "bearer" } },
                ["schemas"] = new JsonObject(schemas.Select(s => KeyValuePair.Create(s.Key, (JsonNode?)s.Value))),
            },
            ["security"] = new JsonArray(new JsonObject { ["bearer"] = new JsonArray() }),
            ["paths"] = paths,
        };
    }

    private static (string Verb, string Path)? Route(HttpRule rule) => rule.PatternCase switch
    {
        HttpRule.PatternOneofCase.Get => ("get", rule.Get),
        HttpRule.PatternOneofCase.Post => ("post", rule.Post),
        HttpRule.PatternOneofCase.Put => ("put", rule.Put),
        HttpRule.PatternOneofCase.Delete => ("delete", rule.Delete),
        HttpRule.PatternOneofCase.Patch => ("patch", rule.Patch),
        _ => null,
    };

    private static JsonObject Operation(MethodDescriptor method, HttpRule rule, string path, string verb, IDictionary<string, JsonNode> schemas)
    {
        var inPath = PathParameter().Matches(path).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var parameters = new JsonArray();
        foreach (var field in method.InputType.Fields.InFieldNumberOrder())
        {
            if (inPath.Contains(field.Name))
            {
                parameters.Add(new JsonObject { ["name"] = field.Name, ["in"] = "path", ["required"] = true, ["schema"] = Schema(field, schemas) });
            }
            else if (string.IsNullOrEmpty(rule.Body) && !field.IsRepeated && field.FieldType != FieldType.Message)
            {
                parameters.Add(new JsonObject { ["name"] = field.JsonName, ["in"] = "query", ["schema"] = Schema(field, schemas) });
            }
        }

        var ok = new JsonObject { ["$ref"] = Reference(method.OutputType, schemas) };
        var operation = new JsonObject
        {
            ["operationId"] = $"{method.Service.Name}_{method.Name}",
            ["tags"] = new JsonArray(method.Service.Name),
            ["parameters"] = parameters,
            ["responses"] = new JsonObject
            {
                ["200"] = new JsonObject
                {
                    ["description"] = method.IsServerStreaming ? $"A stream of {method.OutputType.Name} messages, one JSON object per line." : method.OutputType.Name,
                    ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = ok } },
                },
                ["default"] = new JsonObject
                {
                    ["description"] = "An error: 400 bad input (the message names the field), 401 no or bad token, 403 not allowed, 404 unknown (or another user's) id, 409/400 wrong state, 429 over quota or rate limit.",
                    ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = "#/components/schemas/Status" } } },
                },
            },
        };
        if (rule.Body == "*")
        {
            operation["requestBody"] = new JsonObject
            {
                ["required"] = true,
                ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = Reference(method.InputType, schemas) } } },
            };
        }

        return operation;
    }

    private static string Reference(MessageDescriptor message, IDictionary<string, JsonNode> schemas)
    {
        if (!schemas.ContainsKey(message.Name))
        {
            var properties = new JsonObject();
            schemas[message.Name] = new JsonObject { ["type"] = "object", ["properties"] = properties };
            foreach (var field in message.Fields.InFieldNumberOrder())
            {
                properties[field.JsonName] = field.IsRepeated && !field.IsMap
                    ? new JsonObject { ["type"] = "array", ["items"] = Schema(field, schemas) }
                    : Schema(field, schemas);
            }
        }

        return "#/components/schemas/" + message.Name;
    }

    private static JsonObject Schema(FieldDescriptor field, IDictionary<string, JsonNode> schemas) => field.FieldType switch
    {
        _ when field.IsMap => new JsonObject { ["type"] = "object", ["additionalProperties"] = Schema(field.MessageType.FindFieldByNumber(2), schemas) },
        FieldType.Bool => new JsonObject { ["type"] = "boolean" },
        FieldType.String => new JsonObject { ["type"] = "string" },
        FieldType.Bytes => new JsonObject { ["type"] = "string", ["format"] = "byte" },
        FieldType.Double or FieldType.Float => new JsonObject { ["type"] = "number" },
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 or FieldType.UInt32 or FieldType.Fixed32 => new JsonObject { ["type"] = "integer", ["format"] = "int32" },
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 or FieldType.UInt64 or FieldType.Fixed64 => new JsonObject { ["type"] = "integer", ["format"] = "int64" },
        FieldType.Enum => new JsonObject { ["type"] = "string", ["enum"] = new JsonArray(field.EnumType.Values.Select(v => (JsonNode)v.Name).ToArray()) },
        FieldType.Message when field.MessageType.FullName == "google.protobuf.Timestamp" => new JsonObject { ["type"] = "string", ["format"] = "date-time" },
        FieldType.Message when field.MessageType.FullName == "google.protobuf.Duration" => new JsonObject { ["type"] = "string", ["description"] = "seconds with an 's' suffix, e.g. \"3600s\"" },
        FieldType.Message => new JsonObject { ["$ref"] = Reference(field.MessageType, schemas) },
        _ => new JsonObject { ["type"] = "string" },
    };

    [GeneratedRegex(@"\{([a-z_][a-z0-9_.]*)(=[^}]*)?\}")]
    private static partial Regex PathParameter();
}
