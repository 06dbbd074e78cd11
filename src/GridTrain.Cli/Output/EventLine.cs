using GridTrain.Protos.V1;

namespace GridTrain.Cli.Output;

/// <summary>A job event on one line: <c>#seq time kind details</c>.</summary>
internal static class EventLine
{
    public static string Format(JobEvent e) => $"#{e.Sequence} {Formats.Time(e.Time)} {Kind(e)} {Describe(e)}".TrimEnd();

    /// <summary>What happened, without sequence and time.</summary>
    public static string Describe(JobEvent e) => e.KindCase switch
    {
        JobEvent.KindOneofCase.StateChanged => Formats.State(e.StateChanged.State) + (e.StateChanged.Reason.Length > 0 ? $": {e.StateChanged.Reason}" : ""),
        JobEvent.KindOneofCase.Progress => JobView.ProgressText(e.Progress),
        JobEvent.KindOneofCase.Epoch => EpochText(e.Epoch),
        JobEvent.KindOneofCase.Checkpoint => $"step {e.Checkpoint.Step} {e.Checkpoint.Uri}",
        JobEvent.KindOneofCase.Log => $"{e.Log.Stream}: {e.Log.Text}",
        JobEvent.KindOneofCase.Tensorboard => $"{e.Tensorboard.File} +{e.Tensorboard.Data.Length} bytes at {e.Tensorboard.Offset}",
        _ => "",
    };

    /// <summary><c>epoch 1: train loss 0.4523, test loss 0.391, test accuracy 86.1%</c>.</summary>
    public static string EpochText(EpochEvaluated epoch) =>
        $"epoch {epoch.Epoch}: train loss {Formats.Number(epoch.TrainLoss)}, test loss {Formats.Number(epoch.TestLoss)}, test accuracy {Formats.Percent(epoch.TestAccuracy)}";

    private static string Kind(JobEvent e) => e.KindCase switch
    {
        JobEvent.KindOneofCase.StateChanged => "state",
        JobEvent.KindOneofCase.Progress => "progress",
        JobEvent.KindOneofCase.Epoch => "epoch",
        JobEvent.KindOneofCase.Checkpoint => "checkpoint",
        JobEvent.KindOneofCase.Log => "log",
        JobEvent.KindOneofCase.Tensorboard => "tensorboard",
        _ => "unknown",
    };
}
