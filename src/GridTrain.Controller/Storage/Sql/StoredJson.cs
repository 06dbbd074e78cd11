using System.Text.Json;
using System.Text.Json.Serialization;

namespace GridTrain.Controller.Storage.Sql;

/// <summary>How domain records are kept in a row: JSON, with enums by name so a reordered enum never corrupts data.</summary>
internal static class StoredJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.General)
    {
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Write<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Read<T>(string json) => JsonSerializer.Deserialize<T>(json, Options)
        ?? throw new InvalidDataException($"stored {typeof(T).Name} is null");
}
