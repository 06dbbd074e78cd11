using GridTrain.Cli.Output;
using GridTrain.Protos.V1;
using Microsoft.Extensions.Time.Testing;

namespace GridTrain.Cli.Tests.Output;

public sealed class JobProgressViewTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly StringWriter _out = new() { NewLine = "\n" };

    [Fact]
    public void Plain_ProgressWithinInterval_PrintsFirstAndHoldsTheRestBack()
    {
        var view = View(terminal: false);

        view.OnEvent(JsonAndEventTests.Progress(1, step: 10));
        view.OnEvent(JsonAndEventTests.Progress(2, step: 20));
        _time.Advance(JobProgressView.PlainInterval);
        view.OnEvent(JsonAndEventTests.Progress(3, step: 30));
        view.OnEvent(JsonAndEventTests.Progress(4, step: 40));
        view.Complete();

        var lines = _out.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["step 10/375", "step 30/375", "step 40/375"], lines.Select(l => l[..l.IndexOf(' ', 5)]));
        Assert.DoesNotContain('\r', _out.ToString());
    }

    [Fact]
    public void Plain_LastStep_IsAlwaysPrinted()
    {
        var view = View(terminal: false);

        view.OnEvent(JsonAndEventTests.Progress(1, step: 10, total: 20));
        view.OnEvent(JsonAndEventTests.Progress(2, step: 20, total: 20));

        Assert.Equal(2, _out.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void Terminal_Progress_RedrawsOneLineAndKeepsEventLinesAboveIt()
    {
        var view = View(terminal: true);

        view.OnEvent(JsonAndEventTests.Progress(1, step: 10));
        view.OnEvent(JsonAndEventTests.Progress(2, step: 375));
        view.OnEvent(new JobEvent { Sequence = 3, Epoch = new EpochEvaluated { Epoch = 1, TestAccuracy = 0.9 } });
        view.Complete();

        var text = _out.ToString();
        Assert.StartsWith("\r", text);
        Assert.Contains("  2% 10/375 · epoch 1 · loss 1.2346 · 1,850 samples/s · ETA 1m35s", text);
        Assert.Contains("100% 375/375", text);
        Assert.Contains("\repoch 1: train loss 0, test loss 0, test accuracy 90.0%\n\r", text);
        Assert.EndsWith("\n", text);
        Assert.Single(text.Split('\n'), line => line.Contains("epoch 1:"));
    }

    [Fact]
    public void Bar_HalfWayOnAWideTerminal_IsHalfFilled()
    {
        var bar = JobProgressView.Bar(new TrainingProgress { Step = 50, TotalSteps = 100, Epoch = 1 }, width: 200);

        Assert.StartsWith(new string('█', 12) + new string('░', 12) + "  50% 50/100", bar);
    }

    [Fact]
    public void Bar_On80Columns_NarrowsTheBarSoTheTextFits()
    {
        var progress = new TrainingProgress { Step = 469, TotalSteps = 938, Epoch = 1, Loss = 0.4321, SamplesPerSecond = 1850, EtaSeconds = 27 };

        var bar = JobProgressView.Bar(progress, width: 79);

        Assert.True(bar.Length <= 79, $"{bar.Length} columns");
        Assert.EndsWith(" 50% 469/938 · epoch 1 · loss 0.4321 · 1,850 samples/s · ETA 27s", bar);
        Assert.StartsWith("██████", bar);
    }

    private JobProgressView View(bool terminal) => new(new CliContext
    {
        Out = _out,
        Error = TextWriter.Null,
        OutIsTerminal = terminal,
        TerminalWidth = () => 200,
        Time = _time,
    });
}
