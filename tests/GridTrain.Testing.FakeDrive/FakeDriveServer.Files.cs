using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace GridTrain.Testing.FakeDrive;

// files.list, files.create (metadata only), files.get with alt=media (ranged) and the file resource.
public sealed partial class FakeDriveServer
{
    private async Task ListAsync(HttpContext context)
    {
        Func<FakeDriveFile, bool> filter;
        try
        {
            filter = DriveQuery.Parse(context.Request.Query["q"].ToString());
        }
        catch (FormatException ex)
        {
            await ErrorAsync(context, 400, "invalid", $"Invalid Value: {ex.Message}", "q");
            return;
        }

        _listQueries.Enqueue(context.Request.Query["q"].ToString());
        var matches = _files.Values.Where(filter).OrderBy(f => f.CreatedTime).ThenBy(f => f.Id, StringComparer.Ordinal).ToList();
        var skip = int.TryParse(context.Request.Query["pageToken"], out var token) ? token : 0;
        var page = matches.Skip(skip).Take(PageSize).ToList();
        var result = new JsonObject { ["kind"] = "drive#fileList", ["incompleteSearch"] = false, ["files"] = new JsonArray([.. page.Select(f => (JsonNode)Resource(f))]) };
        if (skip + PageSize < matches.Count)
        {
            result["nextPageToken"] = (skip + PageSize).ToString(CultureInfo.InvariantCulture);
        }

        await JsonAsync(context, 200, Fields(context).Apply(result));
    }

    private async Task CreateAsync(HttpContext context)
    {
        var metadata = await JsonNode.ParseAsync(context.Request.Body) as JsonObject ?? [];
        if (Created(metadata, null) is { } file)
        {
            await FileAsync(context, file);
        }
        else
        {
            await ErrorAsync(context, 409, "duplicate", "A file already exists with the provided ID.");
        }
    }

    private FakeDriveFile? Created(JsonObject metadata, byte[]? content, (string Md5, string Sha256)? checksums = null)
    {
        if (content is not null)
        {
            checksums ??= Checksums(content);
        }

        var id = metadata["id"]?.GetValue<string>() ?? NewId();
        var file = new FakeDriveFile
        {
            Id = id,
            Name = metadata["name"]?.GetValue<string>() ?? "Untitled",
            MimeType = metadata["mimeType"]?.GetValue<string>() ?? "application/octet-stream",
            Parents = metadata["parents"] is JsonArray parents ? [.. parents.Select(p => p!.GetValue<string>())] : [],
            AppProperties = metadata["appProperties"] is JsonObject props ? props.ToDictionary(p => p.Key, p => p.Value!.GetValue<string>()) : new Dictionary<string, string>(),
            Content = content ?? (metadata["mimeType"]?.GetValue<string>() == "application/vnd.google-apps.folder" ? null : []),
            CreatedTime = DateTimeOffset.UtcNow,
            Md5 = checksums?.Md5,
            Sha256 = checksums?.Sha256,
        };
        if (file.Content is { Length: 0 } && file.Md5 is null)
        {
            var (md5, sha256) = Checksums([]);
            file = file with { Md5 = md5, Sha256 = sha256 };
        }

        return _files.TryAdd(id, file) ? file : null;
    }

    private async Task DownloadAsync(HttpContext context, FakeDriveFile file)
    {
        if (file.Content is not { } content)
        {
            await ErrorAsync(context, 403, "fileNotDownloadable", "Only files with binary content can be downloaded.");
            return;
        }

        var range = context.Request.Headers.Range.ToString();
        if (range.Length > 0 && RangeHeaderValue.TryParse(range, out var parsed) && parsed.Ranges.Count == 1)
        {
            var item = parsed.Ranges.First();
            var from = item.From ?? Math.Max(0, content.Length - item.To!.Value);
            var to = Math.Min(item.From is null ? content.Length - 1 : item.To ?? content.Length - 1, content.Length - 1);
            if (from >= content.Length)
            {
                context.Response.StatusCode = 416;
                return;
            }

            RangedDownloads++;
            context.Response.StatusCode = 206;
            context.Response.Headers.ContentRange = $"bytes {from}-{to}/{content.Length}";
            context.Response.ContentLength = to - from + 1;
            await context.Response.Body.WriteAsync(content.AsMemory((int)from, (int)(to - from + 1)));
            return;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentLength = content.Length;
        await context.Response.Body.WriteAsync(content);
    }

    /// <summary>Answers with <paramref name="file"/>'s resource, holding the fields the request (or its upload session) selected.</summary>
    private static Task FileAsync(HttpContext context, FakeDriveFile file, FieldSelection? fields = null) =>
        JsonAsync(context, 200, (fields ?? Fields(context)).Apply(Resource(file)));

    /// <summary>The request's field selection, parsed and checked by <see cref="HandleAsync"/>.</summary>
    private static FieldSelection Fields(HttpContext context) => (FieldSelection)context.Items[typeof(FieldSelection)]!;

    /// <summary>
    /// Parses the request's <c>fields</c> for the resource it answers with (a file list for files.list, else a file) or
    /// takes Drive's default; a selection naming an unknown field is refused, as Drive does, before anything happens.
    /// </summary>
    private static async Task<bool> SelectFieldsAsync(HttpContext context, bool listing)
    {
        var asked = context.Request.Query["fields"].ToString();
        try
        {
            context.Items[typeof(FieldSelection)] = asked.Length > 0 ? FieldSelection.Parse(asked, listing ? FieldSelection.FileList : FieldSelection.File)
                : listing ? FieldSelection.DefaultFileList
                : FieldSelection.DefaultFile;
            return true;
        }
        catch (FormatException ex)
        {
            await ErrorAsync(context, 400, "invalidParameter", ex.Message, "fields");
            return false;
        }
    }

    private static JsonObject Resource(FakeDriveFile file)
    {
        var resource = new JsonObject
        {
            ["kind"] = "drive#file",
            ["id"] = file.Id,
            ["name"] = file.Name,
            ["mimeType"] = file.MimeType,
            ["parents"] = new JsonArray([.. file.Parents.Select(p => (JsonNode)p)]),
            ["createdTime"] = file.CreatedTime.ToString("O", CultureInfo.InvariantCulture),
        };
        if (file.AppProperties.Count > 0)
        {
            resource["appProperties"] = new JsonObject(file.AppProperties.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value)));
        }

        if (file.Content is { } content)
        {
            resource["size"] = content.Length.ToString(CultureInfo.InvariantCulture);
            var (md5, sha256) = file.Md5 is { } known ? (known, file.Sha256!) : Checksums(content);
            resource["md5Checksum"] = md5;
            resource["sha256Checksum"] = sha256;
        }

        return resource;
    }

    /// <summary>Hex MD5 and SHA-256 of <paramref name="content"/>, as Drive reports them.</summary>
    private static (string Md5, string Sha256) Checksums(ReadOnlySpan<byte> content) =>
        (Convert.ToHexStringLower(MD5.HashData(content)), Convert.ToHexStringLower(SHA256.HashData(content)));
}
