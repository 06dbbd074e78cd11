using System.Net;
using System.Net.Sockets;
using GridTrain.Cli.Tests.Infrastructure;

namespace GridTrain.Cli.Tests.CommandLine;

public sealed class UsageErrorTests
{
    private readonly TestCli _cli = new();

    [Fact]
    public async Task SessionCreate_UnknownRuntime_ExitsTwoNamingTheChoices()
    {
        var run = await _cli.RunAsync("session", "create", "--runtime", "tpu");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--runtime: unknown value 'tpu'; use one of cpu, gpu", run.Error);
        Assert.Contains("gridtrain session create --help", run.Error);
        Assert.Empty(run.Out);
    }

    [Theory]
    [InlineData("--checkpoint-store: unknown value 's3'; use one of local, gdrive", "--checkpoint-store", "s3")]
    [InlineData("Drive:RootFolderId: set the id of the Drive folder", "--checkpoint-store", "gdrive")]
    [InlineData("Drive:CredentialsFile: /nowhere/drive.json does not exist", "--checkpoint-store", "gdrive", "--drive-root-folder", "1Abc", "--drive-credentials", "/nowhere/drive.json")]
    public async Task AgentRun_BadCheckpointStoreSettings_ExitsTwoNamingTheSetting(string expected, params string[] options)
    {
        var run = await _cli.RunAsync(["agent", "run", "--controller", "http://127.0.0.1:9", .. options]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.Error);
    }

    [Fact]
    public async Task SessionCreate_GpusWithoutGpuRuntime_ExitsTwo()
    {
        var run = await _cli.RunAsync("session", "create", "--gpus", "2");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--gpus and --gpu-model need --runtime gpu", run.Error);
    }

    [Theory]
    [InlineData("--session and --batch", "job", "submit", "--session", "ses-1", "--batch", "--model", "cnn", "--synthetic", "100")]
    [InlineData("--session and --batch", "job", "submit", "--model", "cnn", "--synthetic", "100")]
    [InlineData("--data and --synthetic", "job", "submit", "--batch", "--model", "cnn")]
    [InlineData("--data and --synthetic", "job", "submit", "--batch", "--model", "cnn", "--data", "/d", "--synthetic", "10")]
    [InlineData("--model: unknown value 'resnet9'", "job", "submit", "--batch", "--model", "resnet9", "--synthetic", "10")]
    [InlineData("--epochs: 'many' is not a whole number", "job", "submit", "--batch", "--model", "cnn", "--synthetic", "10", "--epochs", "many")]
    [InlineData("--epochs: must be at least 1, got 0", "job", "submit", "--batch", "--model", "cnn", "--synthetic", "10", "--epochs", "0")]
    [InlineData("--lr: must be a positive number", "job", "submit", "--batch", "--model", "cnn", "--synthetic", "10", "--lr", "-0.1")]
    [InlineData("are for --batch jobs", "job", "submit", "--session", "ses-1", "--runtime", "gpu", "--model", "cnn", "--synthetic", "10")]
    public async Task JobSubmit_InvalidCommandLine_ExitsTwoWithTheProblem(string expected, params string[] args)
    {
        var run = await _cli.RunAsync(args);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.Error);
    }

    [Theory]
    [InlineData("Option '--data-dir' is required", "controller", "run")]
    [InlineData("--heartbeat-interval: '5x' is not a positive duration", "controller", "run", "--data-dir", "/tmp/x", "--heartbeat-interval", "5x")]
    [InlineData("--listen: 'nowhere' is not HOST:PORT", "controller", "run", "--data-dir", "/tmp/x", "--listen", "nowhere")]
    [InlineData("--output: unknown value 'yaml'", "session", "ls", "-o", "yaml")]
    [InlineData("--controller: 'ftp://b' is not a controller address", "session", "ls", "--controller", "http://a:7070,ftp://b")]
    [InlineData("--leader-lease and --advertise are for replicated controllers, which need --postgres", "controller", "run", "--data-dir", "/tmp/x", "--leader-lease", "6s")]
    [InlineData("--leader-lease: the leader lease (0.5s) must be between 1s and 5m", "controller", "run", "--data-dir", "/tmp/x", "--postgres", "Host=127.0.0.1;Port=1", "--leader-lease", "500ms")]
    [InlineData("Required command was not provided", "session")]
    public async Task InvalidCommandLine_ExitsTwo(string expected, params string[] args)
    {
        var run = await _cli.RunAsync(args);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.Error);
    }

    [Fact]
    public async Task ControllerRun_AgentTimeoutNotAboveHeartbeat_ExitsTwoBeforeListening()
    {
        var run = await _cli.RunAsync("controller", "run", "--data-dir", Path.GetTempPath(), "--heartbeat-interval", "5s", "--agent-timeout", "5s");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("must be longer than HeartbeatInterval", run.Error);
        Assert.Empty(run.Out);
    }

    [Fact]
    public async Task ControllerEnvironmentVariable_NotAnAddress_ExitsTwoNamingTheVariable()
    {
        _cli.Environment["GRIDTRAIN_CONTROLLER"] = "http://host/some/path";

        var run = await _cli.RunAsync("session", "ls");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("GRIDTRAIN_CONTROLLER: 'http://host/some/path' is not a controller address", run.Error);
    }

    [Fact]
    public async Task UnreachableController_SaysWhereAndHowToPointElsewhere()
    {
        var address = $"http://127.0.0.1:{ClosedPort()}";
        _cli.Environment["GRIDTRAIN_CONTROLLER"] = address;

        var run = await _cli.RunAsync("session", "ls");

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith($"error: cannot reach the controller at {address} (", run.Error);
        Assert.Contains("GRIDTRAIN_CONTROLLER", run.Error);
        Assert.DoesNotContain("   at ", run.Error);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
