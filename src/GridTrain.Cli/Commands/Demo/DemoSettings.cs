namespace GridTrain.Cli.Commands.Demo;

/// <summary>
/// The demo's command line. A null <c>WorkDirectory</c> means a new directory under the system temp directory;
/// <c>SyntheticExamples</c> is used only when Fashion-MNIST is missing from <c>DataDirectory</c>. A <c>JobFile</c>
/// replaces the reference CNN job with the job that file describes. <c>WebListen</c> is where the web console is served.
/// </summary>
internal sealed record DemoSettings(string DataDirectory, int Epochs, bool Json, string? WorkDirectory, int SyntheticExamples, string? JobFile = null, System.Net.IPEndPoint? WebListen = null);
