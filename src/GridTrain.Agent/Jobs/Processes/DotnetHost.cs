namespace GridTrain.Agent.Jobs.Processes;

/// <summary>Finds the <c>dotnet</c> host that runs framework-dependent job processes.</summary>
internal static class DotnetHost
{
    public static string Resolve()
    {
        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return self;
        }

        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
        {
            return hostPath;
        }

        var candidates = new[] { Environment.GetEnvironmentVariable("DOTNET_ROOT"), "/usr/share/dotnet", "/usr/lib/dotnet", "/usr/local/share/dotnet" }
            .Where(root => !string.IsNullOrEmpty(root))
            .Select(root => Path.Combine(root!, "dotnet"))
            .Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Select(dir => Path.Combine(dir, "dotnet")));
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("cannot find the dotnet host to start job processes; set DOTNET_ROOT or DOTNET_HOST_PATH");
    }
}
