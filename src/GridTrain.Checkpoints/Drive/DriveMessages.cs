using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GridTrain.Checkpoints.Drive;

/// <summary>The pieces of Drive's REST messages <see cref="DriveClient"/> builds and reads: metadata, query strings, errors, ranges.</summary>
internal static class DriveMessages
{
    public static async Task<DriveException> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var reason = response.StatusCode.ToString();
        var message = body.Length > 300 ? body[..300] : body;
        try
        {
            if (JsonNode.Parse(body)?["error"] is JsonObject error)
            {
                message = error["message"]?.GetValue<string>() ?? message;
                reason = error["errors"]?[0]?["reason"]?.GetValue<string>() ?? reason;
            }
        }
        catch (JsonException)
        {
            // Not Drive's JSON error (a proxy's page): keep the status and the text.
        }

        return new DriveException(response.StatusCode, reason, message);
    }

    public static JsonObject Metadata(string name, string parentId, IReadOnlyDictionary<string, string>? appProperties, string mimeType, string? id)
    {
        var metadata = new JsonObject { ["name"] = name, ["mimeType"] = mimeType, ["parents"] = new JsonArray(parentId) };
        if (id is not null)
        {
            metadata["id"] = id;
        }

        if (appProperties is not null)
        {
            var properties = new JsonObject();
            foreach (var (key, value) in appProperties)
            {
                properties[key] = value;
            }

            metadata["appProperties"] = properties;
        }

        return metadata;
    }

    public static Uri Query(Uri uri, params (string Name, string Value)[] parameters)
    {
        var builder = new StringBuilder(uri.Query.Length > 1 ? uri.Query : "?");
        foreach (var (name, value) in parameters)
        {
            if (builder.Length > 1)
            {
                builder.Append('&');
            }

            builder.Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
        }

        return new UriBuilder(uri) { Query = builder.ToString()[1..] }.Uri;
    }

    public static long? ParseRangeEnd(string range)
    {
        // "bytes=0-524287"
        var dash = range.LastIndexOf('-');
        return dash > 0 && long.TryParse(range.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var end) ? end : null;
    }
}
