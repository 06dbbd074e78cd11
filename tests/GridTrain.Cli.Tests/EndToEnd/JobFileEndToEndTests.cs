using GridTrain.Cli.Tests.Infrastructure;
using GridTrain.Client;
using GridTrain.Embedded;
using GridTrain.Protos.V1;
using Microsoft.Extensions.Logging;

namespace GridTrain.Cli.Tests.EndToEnd;

/// <summary>
/// A job file submitted to a real grid (controller and agent in this process, the job in its own process), then its
/// TensorBoard files fetched through the controller with <c>gridtrain job tensorboard</c>.
/// </summary>
public sealed class JobFileEndToEndTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly TempDirectory _temp = new();
    private readonly TestCli _cli = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task SubmitFile_CsvJob_SucceedsAndItsTensorBoardFilesAreFetchedThroughTheController()
    {
        File.WriteAllLines(_temp.Combine("train.csv"), ["x,y,label", .. Enumerable.Range(0, 90).Select(i => $"{i % 3}.{i % 7},{-(i % 3)},{i % 3}")]);
        var jobFile = _temp.Combine("job.yaml");
        File.WriteAllText(jobFile, """
            model: { name: mlp, hidden_sizes: [8] }
            data: { csv: { train_path: train.csv, test_fraction: 0.2 } }
            hyperparameters: { batch_size: 16, epochs: 2, schedule: { name: cosine } }
            """);
        using var timeout = new CancellationTokenSource(Timeout);
        await using var grid = await EmbeddedGrid.StartAsync(
            new EmbeddedGridOptions { WorkDirectory = _temp.Combine("grid"), MinimumLogLevel = LogLevel.Warning },
            timeout.Token);
        var controller = grid.Address.ToString().TrimEnd('/');

        var submit = await _cli.RunAsync("job", "submit", "--batch", "-f", jobFile, "--wait", "-o", "json", "--controller", controller, "--token", grid.AdminToken);

        Assert.True(submit.ExitCode == 0, $"{submit.Out}\n{submit.Error}");
        using var client = new GridTrainClient(grid.Address, token: grid.AdminToken);
        var job = (await client.Jobs.ListJobsAsync(new ListJobsRequest(), cancellationToken: timeout.Token)).Jobs.Single();
        Assert.Equal(JobState.Succeeded, job.State);
        Assert.Equal("mlp", job.Spec.Model.Name);
        Assert.InRange(job.Result.BestEpoch, 1, 2);
        Assert.EndsWith("best-model.bin", job.Result.BestModelUri, StringComparison.Ordinal);

        var output = _temp.Combine("tb");
        var fetch = await _cli.RunAsync("job", "tensorboard", job.Id, "--out", output, "--controller", controller, "--token", grid.AdminToken);

        Assert.True(fetch.ExitCode == 0, fetch.Error);
        Assert.Contains($"view with: tensorboard --logdir {output}", fetch.Out);
        var original = Assert.Single(Directory.GetFiles(job.Result.TensorboardDir, "events.out.tfevents.*"));
        var fetched = Assert.Single(Directory.GetFiles(output));
        Assert.Equal(Path.GetFileName(original), Path.GetFileName(fetched));
        Assert.Equal(await File.ReadAllBytesAsync(original, timeout.Token), await File.ReadAllBytesAsync(fetched, timeout.Token));
    }

    [Fact]
    public async Task SubmitFile_NaNInTheData_FailsOnceWithThatCauseAndIsNotRetried()
    {
        File.WriteAllLines(_temp.Combine("train.csv"), ["x,y,label", "1,2,0", "NaN,1,1", "2,2,0", "3,1,1"]);
        var jobFile = _temp.Combine("job.yaml");
        File.WriteAllText(jobFile, """
            model: { name: mlp }
            data: { csv: { train_path: train.csv, test_path: train.csv, normalization: none } }
            hyperparameters: { batch_size: 4 }
            """);
        using var timeout = new CancellationTokenSource(Timeout);
        await using var grid = await EmbeddedGrid.StartAsync(
            new EmbeddedGridOptions { WorkDirectory = _temp.Combine("grid"), MinimumLogLevel = LogLevel.Warning },
            timeout.Token);

        var submit = await _cli.RunAsync("job", "submit", "--batch", "-f", jobFile, "--wait", "--controller", grid.Address.ToString().TrimEnd('/'), "--token", grid.AdminToken);

        Assert.Equal(ExitCodes.Failure, submit.ExitCode);
        using var client = new GridTrainClient(grid.Address, token: grid.AdminToken);
        var job = (await client.Jobs.ListJobsAsync(new ListJobsRequest(), cancellationToken: timeout.Token)).Jobs.Single();
        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal(1, job.Attempt);
        Assert.False(job.Result.InfrastructureFailure);
        Assert.StartsWith("training diverged: the loss is NaN at step 1 (epoch 1", job.Result.Reason);
    }
}
