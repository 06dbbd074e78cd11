namespace GridTrain.IntegrationTests.Infrastructure;

/// <summary>The <c>dotnet</c> host running these tests, to start the built CLI with.</summary>
internal static class Dotnet
{
    public static string Host { get; } =
        Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet"
            ? self
            : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
}
