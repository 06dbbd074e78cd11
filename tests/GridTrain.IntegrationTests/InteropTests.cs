using System.Diagnostics;
using System.Text.Json;
using GridTrain.IntegrationTests.Infrastructure;

namespace GridTrain.IntegrationTests;

/// <summary>The controller speaks standard gRPC: an independent client (gRPC's C core, through Python) gets the same answers.</summary>
public sealed class InteropTests(ControllerFixture controller) : IClassFixture<ControllerFixture>
{
    [Fact]
    public async Task PythonGrpcClient_HealthCreateBadInputAndNoToken_AnsweredPerProtocol()
    {
        var startInfo = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        startInfo.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Interop", "grpc_probe.py"));
        startInfo.ArgumentList.Add(controller.Address.Authority);
        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);

        Assert.True(process.ExitCode == 0, $"python probe failed (python3-grpcio installed?): {await errors}");
        using var result = JsonDocument.Parse((await output).Trim().Split('\n')[^1]);
        Assert.Equal("0801", result.RootElement.GetProperty("health").GetString());
        Assert.StartsWith("ses-", result.RootElement.GetProperty("created").GetString(), StringComparison.Ordinal);
        Assert.Equal("INVALID_ARGUMENT", result.RootElement.GetProperty("bad").GetString());
        Assert.Contains("unknown runtime 99", result.RootElement.GetProperty("bad_detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("UNAUTHENTICATED", result.RootElement.GetProperty("anonymous").GetString());
    }
}
