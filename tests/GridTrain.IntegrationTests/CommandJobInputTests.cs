using System.Net;
using Google.Protobuf;
using Grpc.Core;
using GridTrain.Client;
using GridTrain.Controller.Hosting;
using GridTrain.Domain.Coordination;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;

namespace GridTrain.IntegrationTests;

/// <summary>What the controller says to a command job it will not run: every answer names what is wrong.</summary>
public sealed class CommandJobInputTests : IAsyncLifetime
{
    private ControllerServer? _server;
    private GridTrainClient? _client;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("empty-argv", "spec.command.argv: empty; name the program to run, e.g. -- python3 train.py")]
    [InlineData("grid-variable", "spec.command.environment: 'GRIDTRAIN_RESUME_FROM' starts with GRIDTRAIN_, which the grid sets itself")]
    [InlineData("escaping-workdir", "spec.command.working_directory: must be a path inside the session's workspace (relative, without '..'), got 'data/../../etc'")]
    [InlineData("large-files", "spec.command.files: the archive is 3145829 bytes, over the limit of 3145728 bytes (3 MiB)")]
    [InlineData("with-model", "spec.model: a command job runs its own program; leave the model unset")]
    [InlineData("with-hyperparameters", "spec.hyperparameters: a command job reads its own settings; pass them as arguments or environment")]
    public async Task Submit_BadCommand_InvalidArgumentNamingTheField(string problem, string expected)
    {
        var client = await StartAsync(new GridOptions());
        var command = new CommandSpec { Argv = { "python3", "train.py" } };
        var spec = new JobSpec { Command = command };
        switch (problem)
        {
            case "empty-argv":
                command.Argv.Clear();
                break;
            case "grid-variable":
                command.Environment["GRIDTRAIN_RESUME_FROM"] = "/tmp/x";
                break;
            case "escaping-workdir":
                command.WorkingDirectory = "data/../../etc";
                break;
            case "large-files":
                command.Files = ByteString.CopyFrom(new byte[(3 * 1024 * 1024) + 101]);
                break;
            case "with-model":
                spec.Model = new ModelSpec { Name = "cnn" };
                break;
            case "with-hyperparameters":
                spec.Hyperparameters = new Hyperparameters { Epochs = 3 };
                break;
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => client.Jobs.SubmitJobAsync(GridEvents.Batch(spec)).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(expected, error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_UserCodeOff_PermissionDeniedSayingWhy()
    {
        var client = await StartAsync(new GridOptions { UserCode = false });

        var error = await Assert.ThrowsAsync<RpcException>(() => client.Jobs.SubmitJobAsync(GridEvents.Batch(new JobSpec { Command = new CommandSpec { Argv = { "ls" } } })).ResponseAsync);

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Contains("a command job runs your own code, and this grid runs built-in jobs only (its controller runs with --user-code off)", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_CommandJob_ListedAsCommandWithItsArgv()
    {
        var client = await StartAsync(new GridOptions());
        var spec = new JobSpec { Command = new CommandSpec { Argv = { "python3", "train.py", "--epochs", "2" }, Environment = { ["SEED"] = "7" }, WorkingDirectory = "project" } };

        var job = await client.Jobs.SubmitJobAsync(GridEvents.Batch(spec));
        var read = await client.Jobs.GetJobAsync(new GetJobRequest { JobId = job.Id });

        Assert.Equal(JobState.Queued, read.State);
        Assert.Equal(["python3", "train.py", "--epochs", "2"], read.Spec.Command.Argv);
        Assert.Equal("7", read.Spec.Command.Environment["SEED"]);
        Assert.Equal("project", read.Spec.Command.WorkingDirectory);
        Assert.Null(read.Spec.Model);
    }

    private async Task<GridTrainClient> StartAsync(GridOptions options)
    {
        _server = ControllerServer.Create(new IPEndPoint(IPAddress.Loopback, 0), options);
        await _server.StartAsync(CancellationToken.None);
        _client = new GridTrainClient(_server.Address);
        return _client;
    }
}
