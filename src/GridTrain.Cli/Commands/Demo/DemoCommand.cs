using System.CommandLine;

namespace GridTrain.Cli.Commands.Demo;

/// <summary><c>gridtrain demo</c>: a whole grid in this process training a CNN, with live progress.</summary>
internal static class DemoCommand
{
    public static Command Create(CliContext context)
    {
        var data = new Option<string>("--data")
        {
            Description = $"Directory with Fashion-MNIST's four IDX .gz files; generated data is used when they are missing [default: {DemoData.DefaultDirectory}]",
            HelpName = "DIR",
        };
        var epochs = new NumberOption<int>("--epochs") { Description = "Passes over the training data [default: 1]", HelpName = "N" }.AtLeast(1);
        var json = new Option<bool>("--json") { Description = "End with one line of JSON describing the outcome, for scripts" };
        var workDirectory = new Option<string?>("--work-dir") { Description = "Directory for the job's files, checkpoints and TensorBoard logs [default: a new directory under the system temp directory]", HelpName = "DIR" };
        var file = new Option<string?>("--file", "-f") { Description = "Run the job this YAML or JSON job file describes instead (see examples/); --data and --epochs do not apply", HelpName = "FILE" };
        var webListen = new ListenOption("--web-listen", "127.0.0.1:8080 or 0.0.0.0:8080")
        {
            Description = "HOST:PORT for the web console, which shows the job training live (the demo prints its URL and a sign-in link) [default: 127.0.0.1:0, a free port]",
        };
        var syntheticExamples = new NumberOption<int>("--synthetic-examples") { Description = "Generated training examples when Fashion-MNIST is missing [default: 6000]", Hidden = true }.AtLeast(10);

        var command = new Command("demo", "Train a CNN on Fashion-MNIST on a controller and agent started in this process, showing progress, "
            + "then say where the checkpoints and TensorBoard logs are")
        {
            data, epochs, json, workDirectory, file, webListen, syntheticExamples,
        };
        command.SetAction((parseResult, ct) => new DemoRun(context).RunAsync(
            new DemoSettings(
                parseResult.GetValue(data) ?? DemoData.DefaultDirectory,
                parseResult.GetValue(epochs) ?? 1,
                parseResult.GetValue(json),
                parseResult.GetValue(workDirectory),
                parseResult.GetValue(syntheticExamples) ?? 6000,
                parseResult.GetValue(file),
                parseResult.GetValue(webListen) ?? new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0)),
            ct));
        return command;
    }
}
