using GridTrain.Cli.Output;
using GridTrain.Cli.Tests.Infrastructure;

namespace GridTrain.Cli.Tests.Output;

public sealed class TableViewTests
{
    [Fact]
    public void Sessions_Table_AlignsColumnsUnderHeaders()
    {
        var text = Write(SessionView.Table([Samples.ReadyGpuSession(), Samples.PendingCpuSession()], TestCli.Now));

        Assert.Equal(
            """
            ID                NAME      STATE            RUNTIME      AGENT             GPUS  UNITS        IDLE  LEFT    PRIORITY  AGE  REASON
            ses-00000000000a  notebook  READY            gpu x2 H100  agt-0000000000a1  0,1   1.25 (+6/h)  2m    11h55m  10        5m
            ses-00000000000b  -         PENDING (batch)  cpu          -                 -     0            -     -       0         2h   waiting for an agent with a free CPU slot

            """.ReplaceLineEndings("\n"),
            text);
    }

    [Fact]
    public void Jobs_Table_ShowsStepsAccuracyAndShortData()
    {
        var lines = Write(JobView.Table([Samples.SucceededJob(), Samples.RunningJob()], TestCli.Now)).Split('\n');

        Assert.Equal("ID                SESSION           STATE      MODEL  DATA            STEPS    ACCURACY  ATTEMPT  AGE  NAME", lines[0]);
        Assert.Equal("job-0000000000c1  ses-00000000000b  SUCCEEDED  cnn    fashion-mnist   938      88.7%     1        3m   demo", lines[1]);
        Assert.Equal("job-0000000000c2  ses-00000000000a  RUNNING    mlp    synthetic 6000  120/375  -         2        40s  -", lines[2]);
    }

    [Fact]
    public void Agents_Table_ShowsFreeCapacityOverTotal()
    {
        var lines = Write(AgentView.Table([Samples.ReadyAgent()], TestCli.Now)).Split('\n');

        Assert.Equal("ID                NAME        STATE  CPUS  MEMORY   GPUS FREE  CPU SLOTS FREE  SESSIONS  HEARTBEAT  VERSION  GPU HEALTH", lines[0]);
        Assert.Equal("agt-0000000000a1  gpu-node-1  READY  32    256 GiB  1/2        3/4             1         1s ago     1.0.0.0  -", lines[1]);
    }

    [Fact]
    public void Job_Details_ShowResultWhereToFindItsFiles()
    {
        var text = Write(JobView.Details(Samples.SucceededJob(), TestCli.Now));

        Assert.Contains("State:         SUCCEEDED\n", text);
        Assert.Contains("Data:          IDX files in /usr/share/datasets/fashion-mnist\n", text);
        Assert.Contains("Training:      adam lr 0.001, batch 64, 1 epoch(s), seed 1\n", text);
        Assert.Contains("Test accuracy: 88.7%\n", text);
        Assert.Contains("Samples/s:     1,850\n", text);
        Assert.Contains("Checkpoint:    /work/jobs/job-0000000000c1/checkpoints/ckpt-000000938.bin\n", text);
        Assert.Contains("TensorBoard:   /work/jobs/job-0000000000c1/tensorboard\n", text);
        Assert.DoesNotContain("Latest checkpoint", text);
    }

    [Fact]
    public void Session_Details_LeaveOutEmptyFields()
    {
        var text = Write(SessionView.Details(Samples.PendingCpuSession(), TestCli.Now));

        Assert.Contains("State:    PENDING\n", text);
        Assert.Contains("Reason:   waiting for an agent with a free CPU slot\n", text);
        Assert.DoesNotContain("Agent:", text);
        Assert.DoesNotContain("GPUs:", text);
    }

    private static string Write(Table table)
    {
        var writer = new StringWriter { NewLine = "\n" };
        table.WriteTo(writer);
        return writer.ToString();
    }

    private static string Write(Details details)
    {
        var writer = new StringWriter { NewLine = "\n" };
        details.WriteTo(writer);
        return writer.ToString();
    }
}
