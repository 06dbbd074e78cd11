using System.Diagnostics;
using GridTrain.Client;
using GridTrain.Controller.Security;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;

namespace GridTrain.IntegrationTests.Security;

/// <summary><c>gridtrain controller run</c> without a configured admin token prints a generated one on its first start only.</summary>
public sealed class ControllerBootstrapTests : IDisposable
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("gridtrain-bootstrap-").FullName;

    public void Dispose() => Directory.Delete(_dataDirectory, recursive: true);

    [Fact]
    public async Task ControllerRun_FirstStart_PrintsAWorkingAdminTokenOnce()
    {
        string token;
        using (var first = Start())
        {
            var (address, second) = await ReadTwoLinesAsync(first);
            const string prefix = "bootstrap admin token (shown only this once; keep it safe): ";
            Assert.StartsWith(prefix, second, StringComparison.Ordinal);
            token = second[prefix.Length..];
            using var admin = new GridTrainClient(new Uri(address), token: token);
            Assert.Equal("admin", (await admin.Tokens.WhoAmIAsync(new WhoAmIRequest())).User);
            await StopAsync(first);
        }

        using var restarted = Start();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var listening = await restarted.StandardOutput.ReadLineAsync(timeout.Token) ?? "";
        using var client = new GridTrainClient(new Uri(listening["listening on ".Length..]), token: token);
        var me = await client.Tokens.WhoAmIAsync(new WhoAmIRequest());
        await StopAsync(restarted);
        var rest = await restarted.StandardOutput.ReadToEndAsync(timeout.Token);

        Assert.DoesNotContain("admin token", rest, StringComparison.Ordinal);
        Assert.Equal(("admin", TokenRole.Admin), (me.User, me.Role));
    }

    private Process Start()
    {
        var startInfo = new ProcessStartInfo(Dotnet.Host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "exec", Path.Combine(AppContext.BaseDirectory, "gridtrain.dll"), "controller", "run", "--listen", "127.0.0.1:0", "--data-dir", _dataDirectory })
        {
            startInfo.ArgumentList.Add(arg);
        }

        // This test is about the controller without configured tokens.
        startInfo.Environment.Remove(ControllerSecurityOptions.AdminTokenVariable);
        startInfo.Environment.Remove(ControllerSecurityOptions.JoinTokenVariable);
        var process = Process.Start(startInfo)!;
        _ = process.StandardError.ReadToEndAsync();
        return process;
    }

    /// <summary>The address from "listening on URL", and the line after it.</summary>
    private static async Task<(string Address, string Next)> ReadTwoLinesAsync(Process process)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var first = await process.StandardOutput.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException("the controller exited before listening");
        Assert.StartsWith("listening on ", first, StringComparison.Ordinal);
        var next = await process.StandardOutput.ReadLineAsync(timeout.Token) ?? "";
        _ = process.StandardOutput.ReadToEndAsync();
        return (first["listening on ".Length..], next);
    }

    private static async Task StopAsync(Process process)
    {
        process.Kill();
        await process.WaitForExitAsync();
    }
}
