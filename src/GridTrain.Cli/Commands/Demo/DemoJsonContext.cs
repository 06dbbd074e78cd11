using System.Text.Json.Serialization;

namespace GridTrain.Cli.Commands.Demo;

/// <summary>Serializes <see cref="DemoSummary"/> with camelCase names, without reflection.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(DemoSummary))]
internal sealed partial class DemoJsonContext : JsonSerializerContext;
