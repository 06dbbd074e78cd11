using GridTrain.Protos.V1;

namespace GridTrain.Cli.Output;

/// <summary>
/// A running job's events as they arrive. On a terminal, progress is a bar redrawn in place on the last line;
/// otherwise it is a plain line at most every <see cref="PlainInterval"/>. State changes, evaluations, checkpoints
/// and the job's log lines are printed as lines either way.
/// </summary>
internal sealed class JobProgressView(CliContext context)
{
    /// <summary>Least time between two plain progress lines.</summary>
    public static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(5);

    private const int MaxBarWidth = 24;
    private const int MinBarWidth = 8;

    private TrainingProgress? _progress;
    private int _barLength;
    private long? _lastPlainLine;
    private bool _progressPrinted;

    public void OnEvent(JobEvent e)
    {
        switch (e.KindCase)
        {
            case JobEvent.KindOneofCase.Progress:
                OnProgress(e.Progress);
                break;
            case JobEvent.KindOneofCase.StateChanged:
                Line($"job {Formats.State(e.StateChanged.State)}" + (e.StateChanged.Reason.Length > 0 ? $": {e.StateChanged.Reason}" : ""));
                break;
            case JobEvent.KindOneofCase.Epoch:
                Line(EventLine.EpochText(e.Epoch));
                break;
            case JobEvent.KindOneofCase.Checkpoint:
                Line($"checkpoint at step {e.Checkpoint.Step}: {e.Checkpoint.Uri}");
                break;
            case JobEvent.KindOneofCase.Log:
                Line($"[{e.Log.Stream}] {e.Log.Text}");
                break;
        }
    }

    /// <summary>Ends the bar's line, or prints the last progress a plain display held back.</summary>
    public void Complete()
    {
        if (_barLength > 0)
        {
            context.Out.WriteLine();
            _barLength = 0;
        }
        else if (!context.OutIsTerminal && _progress is not null && !_progressPrinted)
        {
            context.Out.WriteLine(JobView.ProgressText(_progress));
            _progressPrinted = true;
        }

        context.Out.Flush();
    }

    private void OnProgress(TrainingProgress progress)
    {
        _progress = progress;
        _progressPrinted = false;
        if (context.OutIsTerminal)
        {
            DrawBar();
            return;
        }

        var finished = progress.TotalSteps > 0 && progress.Step >= progress.TotalSteps;
        if (_lastPlainLine is null || finished || context.Time.GetElapsedTime(_lastPlainLine.Value) >= PlainInterval)
        {
            context.Out.WriteLine(JobView.ProgressText(progress));
            _lastPlainLine = context.Time.GetTimestamp();
            _progressPrinted = true;
        }
    }

    private void Line(string text)
    {
        if (_barLength > 0)
        {
            context.Out.Write('\r' + new string(' ', _barLength) + '\r');
            _barLength = 0;
        }

        context.Out.WriteLine(text);
        if (context.OutIsTerminal && _progress is not null)
        {
            DrawBar();
        }
    }

    private void DrawBar()
    {
        var text = Formats.Truncate(Bar(_progress!, context.TerminalWidth() - 1), Math.Max(20, context.TerminalWidth() - 1));
        context.Out.Write('\r' + text.PadRight(_barLength));
        context.Out.Flush();
        _barLength = text.Length;
    }

    /// <summary>
    /// <c>██████░░░░  45% 420/938 · epoch 1 · loss 0.4321 · 1,850 samples/s · ETA 27s</c>, the bar narrowed (or left
    /// out) to fit <paramref name="width"/> columns.
    /// </summary>
    internal static string Bar(TrainingProgress p, int width)
    {
        var fraction = p.TotalSteps > 0 ? Math.Clamp((double)p.Step / p.TotalSteps, 0, 1) : 0;
        var text = $"{(int)(fraction * 100),3}% {p.Step}/{p.TotalSteps} · epoch {p.Epoch} · loss {Formats.Number(p.Loss)}"
            + $" · {Formats.Rate(p.SamplesPerSecond)} samples/s · ETA {Formats.Duration(TimeSpan.FromSeconds(p.EtaSeconds))}";
        var barWidth = Math.Min(MaxBarWidth, width - text.Length - 1);
        if (barWidth < MinBarWidth)
        {
            return text;
        }

        var filled = (int)Math.Round(fraction * barWidth);
        return $"{new string('█', filled)}{new string('░', barWidth - filled)} {text}";
    }
}
