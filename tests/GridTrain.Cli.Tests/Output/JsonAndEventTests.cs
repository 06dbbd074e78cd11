using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using GridTrain.Cli.Output;
using GridTrain.Cli.Tests.Infrastructure;
using GridTrain.Protos.V1;

namespace GridTrain.Cli.Tests.Output;

public sealed class JsonAndEventTests
{
    [Fact]
    public void ProtoJson_Session_UsesProtobufNamesAndEnumNames()
    {
        using var json = JsonDocument.Parse(ProtoJson.Format(Samples.ReadyGpuSession()));
        var root = json.RootElement;

        Assert.Equal("ses-00000000000a", root.GetProperty("id").GetString());
        Assert.Equal("SESSION_STATE_READY", root.GetProperty("state").GetString());
        Assert.Equal("RUNTIME_GPU", root.GetProperty("resources").GetProperty("runtime").GetString());
        Assert.Equal(2, root.GetProperty("resources").GetProperty("gpuCount").GetInt32());
        Assert.Equal("2025-06-01T11:55:00Z", root.GetProperty("createdAt").GetString());
    }

    [Fact]
    public void ProtoJson_ListResponse_WrapsItemsLikeTheApi()
    {
        var response = new ListJobsResponse { Jobs = { Samples.SucceededJob(), Samples.RunningJob() } };

        using var json = JsonDocument.Parse(ProtoJson.Format(response));

        var jobs = json.RootElement.GetProperty("jobs");
        Assert.Equal(2, jobs.GetArrayLength());
        Assert.Equal(0.8867, jobs[0].GetProperty("result").GetProperty("testAccuracy").GetDouble());
    }

    [Fact]
    public void ProtoJson_Line_IsOneLine()
    {
        var line = ProtoJson.FormatLine(Progress(3, step: 120));

        Assert.DoesNotContain('\n', line);
        Assert.Equal("120", JsonDocument.Parse(line).RootElement.GetProperty("progress").GetProperty("step").GetString());
    }

    [Fact]
    public void EventLine_EachKind_SequenceTimeKindDetails()
    {
        var time = Timestamp.FromDateTimeOffset(TestCli.Now);
        JobEvent[] events =
        [
            new() { Sequence = 1, Time = time, StateChanged = new JobStateChanged { State = JobState.Running } },
            Progress(2, step: 120),
            new() { Sequence = 3, Time = time, Epoch = new EpochEvaluated { Epoch = 1, TrainLoss = 0.45231, TestLoss = 0.391, TestAccuracy = 0.8612 } },
            new() { Sequence = 4, Time = time, Checkpoint = new CheckpointWritten { Step = 200, Uri = "/w/ckpt-200.bin" } },
            new() { Sequence = 5, Time = time, Log = new LogLine { Stream = "stderr", Text = "warning: slow disk" } },
            new() { Sequence = 6, Time = time, StateChanged = new JobStateChanged { State = JobState.Failed, Reason = "exit code 1" } },
        ];

        Assert.Equal(
            [
                "#1 2025-06-01T12:00:00.000Z state RUNNING",
                "#2 2025-06-01T12:00:00.000Z progress step 120/375 (32%), epoch 1, loss 1.2346, 1,850 samples/s, ETA 1m35s",
                "#3 2025-06-01T12:00:00.000Z epoch epoch 1: train loss 0.4523, test loss 0.391, test accuracy 86.1%",
                "#4 2025-06-01T12:00:00.000Z checkpoint step 200 /w/ckpt-200.bin",
                "#5 2025-06-01T12:00:00.000Z log stderr: warning: slow disk",
                "#6 2025-06-01T12:00:00.000Z state FAILED: exit code 1",
            ],
            events.Select(EventLine.Format));
    }

    internal static JobEvent Progress(long sequence, long step, long total = 375) => new()
    {
        Sequence = sequence,
        Time = Timestamp.FromDateTimeOffset(TestCli.Now),
        Progress = new TrainingProgress { Step = step, TotalSteps = total, Epoch = 1, Loss = 1.23456, SamplesPerSecond = 1850.4, EtaSeconds = 95 },
    };
}
