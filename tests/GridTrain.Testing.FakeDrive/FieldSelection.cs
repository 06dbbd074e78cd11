using System.Text.Json.Nodes;

namespace GridTrain.Testing.FakeDrive;

/// <summary>
/// Drive's partial responses: the <c>fields</c> parameter (<c>id,name</c>, <c>nextPageToken,files(id,md5Checksum)</c>,
/// <c>files/id</c>, <c>*</c>) selects what a response carries. Without it Drive v3 answers a default set that leaves out
/// most of a file (no size, no checksums, no parents), so a client that forgets to ask for a field gets none, here as
/// there. An unknown field is a 400 <c>invalidParameter</c> naming it.
/// </summary>
internal sealed class FieldSelection
{
    /// <summary>Every field of Drive v3's <c>files</c> resource.</summary>
    private static readonly HashSet<string> s_fileFields = new(StringComparer.Ordinal)
    {
        "kind", "driveId", "fileExtension", "copyRequiresWriterPermission", "md5Checksum", "contentHints", "writersCanShare",
        "viewedByMe", "mimeType", "exportLinks", "parents", "thumbnailLink", "iconLink", "shared", "lastModifyingUser", "owners",
        "headRevisionId", "sharingUser", "webViewLink", "webContentLink", "size", "viewersCanCopyContent", "permissions",
        "hasThumbnail", "spaces", "folderColorRgb", "id", "name", "description", "starred", "trashed", "explicitlyTrashed",
        "createdTime", "modifiedTime", "modifiedByMeTime", "viewedByMeTime", "sharedWithMeTime", "quotaBytesUsed", "version",
        "originalFilename", "ownedByMe", "fullFileExtension", "properties", "appProperties", "isAppAuthorized", "teamDriveId",
        "capabilities", "hasAugmentedPermissions", "trashingUser", "thumbnailVersion", "trashedTime", "modifiedByMe",
        "permissionIds", "imageMediaMetadata", "videoMediaMetadata", "shortcutDetails", "contentRestrictions", "resourceKey",
        "linkShareMetadata", "labelInfo", "sha1Checksum", "sha256Checksum", "inheritedPermissionsDisabled", "downloadRestrictions",
    };

    /// <summary>The fields of a <c>files</c> resource; <c>files</c> in a file list.</summary>
    public static readonly Schema File = new(s_fileFields, Nested: null);

    /// <summary>The fields of a <c>fileList</c> resource.</summary>
    public static readonly Schema FileList = new(new HashSet<string>(StringComparer.Ordinal) { "kind", "nextPageToken", "incompleteSearch", "files" }, Nested: File);

    /// <summary>What files.get, files.create and the uploads answer without <c>fields</c>.</summary>
    public static readonly FieldSelection DefaultFile = Parse("kind,id,name,mimeType", File);

    /// <summary>What files.list answers without <c>fields</c>.</summary>
    public static readonly FieldSelection DefaultFileList = Parse("kind,nextPageToken,incompleteSearch,files(kind,id,name,mimeType)", FileList);

    /// <summary>Field name to its sub-selection (null: the whole value).</summary>
    private readonly Dictionary<string, FieldSelection?> _fields;

    private FieldSelection(Dictionary<string, FieldSelection?> fields) => _fields = fields;

    /// <summary>The known fields of a resource; <paramref name="Nested"/> is the schema of its one nested resource list, if any.</summary>
    internal sealed record Schema(IReadOnlySet<string> Fields, Schema? Nested);

    /// <summary>Parses a <c>fields</c> value against <paramref name="schema"/>.</summary>
    /// <exception cref="FormatException">The text is malformed or names a field the resource does not have; the message is Drive's.</exception>
    public static FieldSelection Parse(string text, Schema schema)
    {
        var position = 0;
        var selection = ParseList(text, ref position, schema);
        if (position != text.Length)
        {
            throw new FormatException($"Invalid field selection {text}");
        }

        return selection;
    }

    /// <summary>A copy of <paramref name="resource"/> holding only the selected fields.</summary>
    public JsonObject Apply(JsonObject resource)
    {
        if (_fields.ContainsKey("*"))
        {
            return (JsonObject)resource.DeepClone();
        }

        var selected = new JsonObject();
        foreach (var (name, sub) in _fields)
        {
            if (resource[name] is not { } value)
            {
                continue;
            }

            selected[name] = (sub, value) switch
            {
                (null, _) => value.DeepClone(),
                (_, JsonArray items) => new JsonArray([.. items.Select(item => item is JsonObject o ? sub.Apply(o) : item?.DeepClone())]),
                (_, JsonObject nested) => sub.Apply(nested),
                _ => value.DeepClone(),
            };
        }

        return selected;
    }

    private static FieldSelection ParseList(string text, ref int position, Schema? schema)
    {
        var fields = new Dictionary<string, FieldSelection?>(StringComparer.Ordinal);
        do
        {
            var (name, sub) = ParseItem(text, ref position, schema);
            Add(fields, name, sub);
        }
        while (position < text.Length && text[position] == ',' && ++position > 0);

        return new FieldSelection(fields);
    }

    /// <summary>One item: <c>name</c>, <c>name(list)</c> or the path <c>name/item</c>.</summary>
    private static (string Name, FieldSelection? Sub) ParseItem(string text, ref int position, Schema? schema)
    {
        var start = position;
        while (position < text.Length && text[position] is not (',' or '(' or ')' or '/'))
        {
            position++;
        }

        var name = text[start..position].Trim();
        if (name.Length == 0 || (name != "*" && schema is not null && !schema.Fields.Contains(name)))
        {
            throw new FormatException($"Invalid field selection {(name.Length == 0 ? text : name)}");
        }

        // Below a resource's own objects (appProperties, capabilities, ...) the keys are the data's: not checked.
        var nested = schema is not null && name == "files" ? schema.Nested : null;
        if (position < text.Length && text[position] == '(')
        {
            position++;
            var list = ParseList(text, ref position, nested);
            if (position >= text.Length || text[position] != ')')
            {
                throw new FormatException($"Invalid field selection {text}");
            }

            position++;
            return (name, list);
        }

        if (position < text.Length && text[position] == '/')
        {
            position++;
            var (child, sub) = ParseItem(text, ref position, nested);
            return (name, new FieldSelection(new Dictionary<string, FieldSelection?>(StringComparer.Ordinal) { [child] = sub }));
        }

        return (name, null);
    }

    /// <summary>Adds a field to a selection; a field selected twice gets the union (the whole value wins).</summary>
    private static void Add(Dictionary<string, FieldSelection?> fields, string name, FieldSelection? sub) =>
        fields[name] = !fields.TryGetValue(name, out var earlier) ? sub
            : earlier is null || sub is null ? null
            : earlier.Merge(sub);

    private FieldSelection Merge(FieldSelection other)
    {
        var merged = new Dictionary<string, FieldSelection?>(_fields, StringComparer.Ordinal);
        foreach (var (name, sub) in other._fields)
        {
            Add(merged, name, sub);
        }

        return new FieldSelection(merged);
    }
}
