using GridTrain.Cli.Commands.Jobs;
using GridTrain.Cli.Errors;
using GridTrain.Cli.Tests.Infrastructure;

namespace GridTrain.Cli.Tests.Commands;

public sealed class JobFileTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly TestCli _cli = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Load_Yaml_MapsEveryFieldAndResolvesPathsAgainstTheFile()
    {
        var path = Write("job.yaml", """
            display_name: yaml job
            model:
              name: mlp
              hidden_sizes: [64, 32]
            data:
              csv:
                train_path: data/train.csv
                label_column: species
                feature_columns: [a, b]
                normalization: minmax
                test_fraction: 0.25
            hyperparameters:
              optimizer: sgd
              learning_rate: 0.1
              momentum: 0.9
              nesterov: true
              weight_decay: 1e-4
              epochs: 3
              schedule: { name: step, step_epochs: 2, gamma: 0.5, warmup_steps: 10 }
              gradient_clip_norm: 1.5
              early_stopping: { metric: test_accuracy, patience: 2, min_delta: 0.01 }
            checkpoint: { every_steps: 100, keep_last: 2 }
            device: cpu
            threads: 2
            """);

        var spec = JobFile.Load(path);

        Assert.Equal("yaml job", spec.DisplayName);
        Assert.Equal([64, 32], spec.Model.HiddenSizes);
        Assert.Equal(_temp.Combine("data", "train.csv"), spec.Data.Csv.TrainPath);
        Assert.Equal(["a", "b"], spec.Data.Csv.FeatureColumns);
        Assert.Equal(0.25, spec.Data.Csv.TestFraction);
        Assert.True(spec.Hyperparameters.Nesterov);
        Assert.Equal(1e-4, spec.Hyperparameters.WeightDecay);
        Assert.Equal(0.5, spec.Hyperparameters.Schedule.Gamma);
        Assert.Equal(10, spec.Hyperparameters.Schedule.WarmupSteps);
        Assert.Equal("test_accuracy", spec.Hyperparameters.EarlyStopping.Metric);
        Assert.Equal(1.5, spec.Hyperparameters.GradientClipNorm);
        Assert.Equal(2, spec.Checkpoint.KeepLast);
        Assert.Equal("cpu", spec.Device);
        Assert.Equal(2, spec.Threads);
    }

    [Fact]
    public void Load_Json_WithJsonNamesAndAnUploadedModule()
    {
        File.WriteAllBytes(_temp.Combine("model.pt"), [1, 2, 3]);
        var path = Write("job.json", """
            { "model": { "name": "torchscript", "torchscript": { "upload": "model.pt" } },
              "data": { "idxDirectory": "/data/fashion", "trainLimit": 100 },
              "hyperparameters": { "batchSize": 16 } }
            """);

        var spec = JobFile.Load(path);

        Assert.Equal([1, 2, 3], spec.Model.Torchscript.Module.ToByteArray());
        Assert.Equal("/data/fashion", spec.Data.IdxDirectory);
        Assert.Equal(100, spec.Data.TrainLimit);
        Assert.Equal(16, spec.Hyperparameters.BatchSize);
    }

    [Fact]
    public void Load_TorchScriptOnDrive_KeepsTheFileIdAsIs()
    {
        var path = Write("job.yaml", "model:\n  name: torchscript\n  torchscript:\n    drive_file_id: 1AbC_d-9xYz\ndata: {synthetic: {train_examples: 8}}\n");

        var spec = JobFile.Load(path);

        Assert.Equal("1AbC_d-9xYz", spec.Model.Torchscript.DriveFileId);
        Assert.Equal("", spec.Model.Torchscript.Path);
    }

    [Theory]
    [InlineData("model:\n  nme: cnn\n", "job.yaml:2: spec.model.nme: unknown field; ModelSpec has name, hidden_sizes, torchscript")]
    [InlineData("model: {name: cnn}\ndata: {synthetic: {train_examples: many}}\n", "job.yaml:2: spec.data.synthetic.train_examples: expected an integer, got 'many'")]
    [InlineData("model: {name: mlp, hidden_sizes: 8}\ndata: {synthetic: {train_examples: 8}}\n", "job.yaml:1: spec.model.hidden_sizes: expected a list")]
    [InlineData("model: {name: mlp}\ndata: {synthetic: {train_examples: 8}}\nhyperparameters: {nesterov: yes}\n", "spec.hyperparameters.nesterov: expected true or false, got 'yes'")]
    [InlineData("model: {name: resnet50}\ndata: {synthetic: {train_examples: 8}}\n", "job.yaml: spec.model.name: unknown model 'resnet50'; use one of cnn, command, mlp, resnet, torchscript")]
    [InlineData("model: {name: mlp}\ndata: {synthetic: {train_examples: 8}}\nhyperparameters: {schedule: {name: linear}}\n", "job.yaml: spec.hyperparameters.schedule.name: unknown schedule 'linear'")]
    [InlineData("model: [cnn\n", "job.yaml:")]
    [InlineData("- 1\n- 2\n", "job.yaml:1: spec: expected a mapping of JobSpec fields")]
    public void Load_Problem_NamesTheFileAndTheField(string content, string expected)
    {
        var path = Write("job.yaml", content);

        var error = Assert.Throws<CliException>(() => JobFile.Load(path));

        Assert.Contains(expected, error.Message);
        Assert.Equal(ExitCodes.Usage, error.ExitCode);
    }

    [Theory]
    [InlineData("fashion-mnist-cnn/job.yaml", "cnn")]
    [InlineData("csv-mlp/job.json", "mlp")]
    [InlineData("torchscript/job.yaml", "torchscript")]
    public void Load_Examples_AreValidJobs(string example, string model)
    {
        var spec = JobFile.Load(Path.Combine(RepositoryRoot(), "examples", example));

        Assert.Equal(model, spec.Model.Name);
        if (model == "torchscript")
        {
            Assert.True(spec.Model.Torchscript.Module.Length > 1000, "the module is uploaded with the job");
        }
    }

    [Fact]
    public async Task Submit_FileWithSpecFlags_IsAUsageError()
    {
        var run = await _cli.RunAsync("job", "submit", "--batch", "-f", "job.yaml", "--model", "cnn", "--epochs", "2");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("--model, --epochs: not with --file; put these settings in the job file", run.Error);
    }

    [Fact]
    public async Task Submit_InvalidFile_FailsBeforeConnecting()
    {
        var path = Write("job.yaml", "model: {name: mlp}\ndata: {synthetic: {train_examples: 0}}\n");

        var run = await _cli.RunAsync("job", "submit", "--batch", "-f", path, "--controller", "http://127.0.0.1:1");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains($"{path}: spec.data.synthetic.train_examples: must be between 1 and 10000000, got 0", run.Error);
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "GridTrain.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException($"no GridTrain.sln above {AppContext.BaseDirectory}");
    }

    private string Write(string name, string content)
    {
        var path = _temp.Combine(name);
        File.WriteAllText(path, content);
        return path;
    }
}
