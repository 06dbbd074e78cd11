using System.Net;
using GridTrain.Client;
using GridTrain.Controller.Hosting;
using GridTrain.Controller.Security;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;

namespace GridTrain.IntegrationTests.Security;

/// <summary>
/// <c>--dataset-root</c> holds where the files are: a path the controller accepts by name (it lies under the root) but
/// that leads out through a symbolic link, or an IDX directory whose files link out, is refused by the agent, which
/// fails the job naming the field, the path and where it leads, before reading anything.
/// </summary>
public sealed class DatasetLinkTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("gridtrain-dataset-links-").FullName;
    private ControllerServer _controller = null!;
    private InProcessAgent _agent = null!;
    private GridTrainClient _admin = null!;

    private string Datasets => Path.Combine(_root, "datasets");

    private string Outside => Path.Combine(_root, "secrets");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Datasets);
        Directory.CreateDirectory(Outside);
        File.WriteAllText(Path.Combine(Outside, "train-images-idx3-ubyte"), "not for jobs");
        _controller = ControllerServer.Create(
            new IPEndPoint(IPAddress.Loopback, 0),
            security: new ControllerSecurityOptions { AdminToken = TestCredentials.AdminToken, JoinToken = TestCredentials.JoinToken, DatasetRoots = [Datasets], UserRequestsPerSecond = 0 });
        await _controller.StartAsync(CancellationToken.None);
        _admin = new GridTrainClient(_controller.Address, token: TestCredentials.AdminToken);
        _agent = InProcessAgent.Start(_controller.Address, "datasets-node", Path.Combine(_root, "agent"));
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        _admin.Dispose();
        await _controller.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task IdxDirectoryLinkingOutOfTheRoot_JobFailed_NamingWhereItLeads()
    {
        var link = Path.Combine(Datasets, "evil");
        Directory.CreateSymbolicLink(link, Outside);

        var finished = await _admin.FinishedAsync((await _admin.Jobs.SubmitJobAsync(IdxJob(link))).Id);

        Assert.Equal(JobState.Failed, finished.State);
        Assert.Contains($"data.idx_directory: {link} resolves to {Outside}, outside the dataset roots ({Datasets})", finished.Result.Reason, StringComparison.Ordinal);
        Assert.Equal(1, finished.Attempt);
    }

    [Fact]
    public async Task IdxFileLinkingOutOfTheRoot_JobFailed_NamingTheFile()
    {
        var directory = Directory.CreateDirectory(Path.Combine(Datasets, "mnist")).FullName;
        var file = Path.Combine(directory, "train-images-idx3-ubyte");
        File.CreateSymbolicLink(file, Path.Combine(Outside, "train-images-idx3-ubyte"));

        var finished = await _admin.FinishedAsync((await _admin.Jobs.SubmitJobAsync(IdxJob(directory))).Id);

        Assert.Equal(JobState.Failed, finished.State);
        Assert.Contains($"data.idx_directory: {file} resolves to {Path.Combine(Outside, "train-images-idx3-ubyte")}", finished.Result.Reason, StringComparison.Ordinal);
    }

    private static SubmitJobRequest IdxJob(string directory) =>
        GridEvents.Batch(new JobSpec { Model = new ModelSpec { Name = "mlp" }, Data = new DataSpec { IdxDirectory = directory } });
}
