using System.Globalization;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using GridTrain.Cli.Errors;
using GridTrain.Contracts.Mapping;
using GridTrain.Domain;
using GridTrain.Protos.V1;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace GridTrain.Cli.Commands.Jobs;

/// <summary>
/// A job spec written as a file, YAML or JSON (read as YAML's flow style): the fields of the API's
/// <c>JobSpec</c> by their proto names (<c>hidden_sizes</c>) or JSON names (<c>hiddenSizes</c>). Relative paths are
/// resolved against the file's directory. <c>model.torchscript.upload: FILE</c> uploads a local module with the job;
/// <c>command.files: DIR</c> uploads a directory with a command job (<c>command: {argv: [python3, train.py]}</c>).
/// Every problem names the file and the field; the spec is validated here before anything is sent.
/// </summary>
internal static class JobFile
{
    private static readonly JsonParser s_parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));

    /// <summary>Fields holding paths on the agent's machine, resolved against the job file's directory when relative.</summary>
    private static readonly string[][] s_paths =
    [
        ["data", "idxDirectory"],
        ["data", "csv", "trainPath"],
        ["data", "csv", "testPath"],
        ["model", "torchscript", "path"],
    ];

    public static JobSpec Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"{path}: cannot read the job file: {ex.Message}", ExitCodes.Usage);
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var root = Parse(path, text);
        var json = Convert(path, root, JobSpec.Descriptor, "spec", directory);
        ResolvePaths(json, directory);

        JobSpec spec;
        try
        {
            spec = s_parser.Parse<JobSpec>(json.ToJsonString());
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or InvalidJsonException or FormatException)
        {
            throw new CliException($"{path}: {ex.Message}", ExitCodes.Usage);
        }

        try
        {
            var validation = Domain.Jobs.JobSpecValidator.Validate(spec.ToDomain());
            if (!validation.IsValid)
            {
                throw new CliException(string.Join(Environment.NewLine, validation.Errors.Select(e => $"{path}: {e}")), ExitCodes.Usage);
            }
        }
        catch (GridException ex)
        {
            throw new CliException($"{path}: {ex.Message}", ExitCodes.Usage);
        }

        return spec;
    }

    private static YamlNode Parse(string path, string text)
    {
        try
        {
            // JSON is YAML's flow style: one parser, one kind of error message with line and column.
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            return stream.Documents.Count == 1
                ? stream.Documents[0].RootNode
                : throw new CliException($"{path}: expected one document holding a job spec, found {stream.Documents.Count}", ExitCodes.Usage);
        }
        catch (YamlException ex)
        {
            throw new CliException($"{path}:{ex.Start.Line}:{ex.Start.Column}: not valid YAML or JSON: {ex.Message}", ExitCodes.Usage);
        }
    }

    private static JsonObject Convert(string file, YamlNode node, MessageDescriptor descriptor, string field, string directory)
    {
        if (node is not YamlMappingNode mapping)
        {
            throw Problem(file, node, field, $"expected a mapping of {descriptor.Name} fields");
        }

        var result = new JsonObject();
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value ?? "";
            var fieldPath = $"{field}.{key}";
            if (descriptor == Protos.V1.TorchScriptModel.Descriptor && key == "upload")
            {
                result["module"] = Upload(file, valueNode, fieldPath, directory);
                continue;
            }

            if (descriptor == Protos.V1.CommandSpec.Descriptor && key == "files")
            {
                result["files"] = valueNode is YamlScalarNode { Value: { Length: > 0 } files }
                    ? JsonValue.Create(CommandJobOptions.Zip(Path.GetFullPath(files, directory), $"{file}:{valueNode.Start.Line}: {fieldPath}").ToBase64())
                    : throw Problem(file, valueNode, fieldPath, "expected the path of a directory to upload with the job");
                continue;
            }

            var target = descriptor.FindFieldByName(key) ?? descriptor.Fields.InDeclarationOrder().FirstOrDefault(f => f.JsonName == key)
                ?? throw Problem(file, keyNode, fieldPath, $"unknown field; {descriptor.Name} has {string.Join(", ", descriptor.Fields.InDeclarationOrder().Select(f => f.Name))}");
            if (IsNull(valueNode))
            {
                continue;
            }

            if (target.IsMap)
            {
                result[target.JsonName] = valueNode is YamlMappingNode map
                    ? new JsonObject(map.Children.Select(e => KeyValuePair.Create(((YamlScalarNode)e.Key).Value ?? "", (JsonNode?)JsonValue.Create(e.Value is YamlScalarNode { Value: var v } ? v ?? "" : throw Problem(file, e.Value, $"{fieldPath}.{e.Key}", "expected a single value")))))
                    : throw Problem(file, valueNode, fieldPath, "expected a mapping of names to values");
                continue;
            }

            result[target.JsonName] = target.IsRepeated
                ? valueNode is YamlSequenceNode sequence
                    ? new JsonArray([.. sequence.Children.Select((item, i) => Value(file, item, target, $"{fieldPath}[{i}]", directory))])
                    : throw Problem(file, valueNode, fieldPath, "expected a list")
                : Value(file, valueNode, target, fieldPath, directory);
        }

        return result;
    }

    private static JsonNode? Value(string file, YamlNode node, FieldDescriptor field, string fieldPath, string directory)
    {
        if (field.FieldType == FieldType.Message)
        {
            return Convert(file, node, field.MessageType, fieldPath, directory);
        }

        if (node is not YamlScalarNode { Value: { } text })
        {
            throw Problem(file, node, fieldPath, "expected a single value");
        }

        switch (field.FieldType)
        {
            case FieldType.Bool:
                return bool.TryParse(text, out var flag) ? JsonValue.Create(flag) : throw Problem(file, node, fieldPath, $"expected true or false, got '{text}'");
            case FieldType.Int32 or FieldType.Int64 or FieldType.UInt32 or FieldType.UInt64 or FieldType.SInt32 or FieldType.SInt64:
                return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer)
                    ? JsonValue.Create(integer)
                    : throw Problem(file, node, fieldPath, $"expected an integer, got '{text}'");
            case FieldType.Double or FieldType.Float:
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                    ? JsonValue.Create(number)
                    : throw Problem(file, node, fieldPath, $"expected a number, got '{text}'");
            default:
                return JsonValue.Create(text);
        }
    }

    private static JsonValue Upload(string file, YamlNode node, string fieldPath, string directory)
    {
        if (node is not YamlScalarNode { Value: { Length: > 0 } relative })
        {
            throw Problem(file, node, fieldPath, "expected the path of a TorchScript .pt file");
        }

        var modulePath = Path.GetFullPath(relative, directory);
        try
        {
            var length = new FileInfo(modulePath).Length;
            if (length > Domain.Jobs.TorchScriptSpec.MaxModuleBytes)
            {
                throw Problem(file, node, fieldPath, $"{modulePath} has {length} bytes; at most {Domain.Jobs.TorchScriptSpec.MaxModuleBytes} can be uploaded: put it on the agent and set model.torchscript.path");
            }

            return JsonValue.Create(System.Convert.ToBase64String(File.ReadAllBytes(modulePath)));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Problem(file, node, fieldPath, $"cannot read {modulePath}: {ex.Message}");
        }
    }

    private static void ResolvePaths(JsonObject spec, string directory)
    {
        foreach (var fieldPath in s_paths)
        {
            var parent = fieldPath[..^1].Aggregate((JsonNode?)spec, (node, name) => node?[name]) as JsonObject;
            if (parent?[fieldPath[^1]] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0 && !Path.IsPathRooted(text))
            {
                parent[fieldPath[^1]] = Path.GetFullPath(text, directory);
            }
        }
    }

    private static bool IsNull(YamlNode node) => node is YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" };

    private static CliException Problem(string file, YamlNode node, string fieldPath, string message) =>
        new($"{file}:{node.Start.Line}: {fieldPath}: {message}", ExitCodes.Usage);
}
