using System.Diagnostics;
using GridTrain.IntegrationTests.Infrastructure;

namespace GridTrain.IntegrationTests;

/// <summary>
/// The TorchSharp example compiles as a .NET 10 file-based program (<c>dotnet build train.cs</c>). Only compiled here:
/// running it restores and builds TorchSharp for each attempt (tens of seconds), too slow for the suite; the command
/// job contract it follows is covered end to end with the PyTorch example (<see cref="CommandJobTests"/>).
/// </summary>
public sealed class ExampleProgramTests
{
    [Fact]
    public async Task TorchSharpExample_CompilesAsAFileBasedProgram()
    {
        var startInfo = new ProcessStartInfo(Dotnet.Host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.Combine(RepositoryRoot.Path, "examples", "torchsharp-program"),
        };
        foreach (var argument in new[] { "build", "train.cs", "-nologo", "-v", "q" })
        {
            startInfo.ArgumentList.Add(argument);
        }

        // The test host's MSBuild settings would point the child build at the test run's own SDK state.
        foreach (var name in startInfo.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("MSBUILD", StringComparison.Ordinal)).ToList())
        {
            startInfo.Environment.Remove(name);
        }

        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var bound = new CancellationTokenSource(GridEvents.Timeout);
        await process.WaitForExitAsync(bound.Token);

        Assert.True(process.ExitCode == 0, $"dotnet build train.cs exited {process.ExitCode}:\n{await output}\n{await error}");
    }
}
