using Google.Protobuf.WellKnownTypes;
using GridTrain.Protos.V1;

namespace GridTrain.Cli.Tests.Infrastructure;

/// <summary>API messages as the controller returns them, for formatting tests.</summary>
internal static class Samples
{
    public static Timestamp Ago(TimeSpan age) => Timestamp.FromDateTimeOffset(TestCli.Now - age);

    public static Session ReadyGpuSession() => new()
    {
        Id = "ses-00000000000a",
        State = SessionState.Ready,
        Resources = new ResourceRequest { Runtime = Runtime.Gpu, GpuCount = 2, GpuModel = "H100" },
        AgentId = "agt-0000000000a1",
        GpuIndexes = { 0, 1 },
        LeaseEpoch = 3,
        Priority = 10,
        DisplayName = "notebook",
        CreatedAt = Ago(TimeSpan.FromMinutes(5)),
        UpdatedAt = Ago(TimeSpan.FromSeconds(30)),
        IdleTimeout = Duration.FromTimeSpan(TimeSpan.FromMinutes(90)),
        MaxLifetime = Duration.FromTimeSpan(TimeSpan.FromHours(12)),
        LastActivityAt = Ago(TimeSpan.FromMinutes(2)),
        ExpiresAt = Ago(-TimeSpan.FromMinutes(11 * 60 + 55)),
        UnitsSpent = 1.25,
        UnitsPerHour = 6,
    };

    public static Session PendingCpuSession() => new()
    {
        Id = "ses-00000000000b",
        State = SessionState.Pending,
        Resources = new ResourceRequest { Runtime = Runtime.Cpu },
        Batch = true,
        StateReason = "waiting for an agent with a free CPU slot",
        CreatedAt = Ago(TimeSpan.FromHours(2)),
        UpdatedAt = Ago(TimeSpan.FromHours(2)),
    };

    public static Job SucceededJob() => new()
    {
        Id = "job-0000000000c1",
        SessionId = "ses-00000000000b",
        State = JobState.Succeeded,
        Attempt = 1,
        Spec = new JobSpec
        {
            Model = new ModelSpec { Name = "cnn" },
            Data = new DataSpec { IdxDirectory = "/usr/share/datasets/fashion-mnist" },
            Hyperparameters = new Hyperparameters { Optimizer = "adam", LearningRate = 0.001, BatchSize = 64, Epochs = 1, Seed = 1 },
            Checkpoint = new CheckpointPolicy { EverySteps = 200, KeepLast = 3 },
            DisplayName = "demo",
        },
        Progress = new TrainingProgress { Step = 938, TotalSteps = 938, Epoch = 1, Loss = 0.31, SamplesPerSecond = 1850.4, EtaSeconds = 0 },
        Result = new JobResult
        {
            State = JobState.Succeeded,
            Steps = 938,
            TestAccuracy = 0.8867,
            CheckpointUri = "/work/jobs/job-0000000000c1/checkpoints/ckpt-000000938.bin",
            TensorboardDir = "/work/jobs/job-0000000000c1/tensorboard",
            SamplesPerSecond = 1850.4,
            ExitCode = 0,
        },
        CreatedAt = Ago(TimeSpan.FromMinutes(3)),
        StartedAt = Ago(TimeSpan.FromMinutes(3)),
        FinishedAt = Ago(TimeSpan.FromSeconds(10)),
        LastEventSequence = 42,
    };

    public static Job RunningJob() => new()
    {
        Id = "job-0000000000c2",
        SessionId = "ses-00000000000a",
        State = JobState.Running,
        Attempt = 2,
        Spec = new JobSpec
        {
            Model = new ModelSpec { Name = "mlp" },
            Data = new DataSpec { Synthetic = new SyntheticData { TrainExamples = 6000, TestExamples = 1200, ImageSize = 28, Classes = 10 } },
            Hyperparameters = new Hyperparameters { Optimizer = "sgd", LearningRate = 0.01, BatchSize = 32, Epochs = 2, Seed = 1 },
        },
        Progress = new TrainingProgress { Step = 120, TotalSteps = 375, Epoch = 1, Loss = 1.23456, SamplesPerSecond = 900, EtaSeconds = 95 },
        CreatedAt = Ago(TimeSpan.FromSeconds(40)),
        LastEventSequence = 7,
    };

    public static Protos.V1.Agent ReadyAgent() => new()
    {
        Id = "agt-0000000000a1",
        Name = "gpu-node-1",
        State = AgentState.Ready,
        Inventory = new Inventory
        {
            CpuCores = 32,
            MemoryBytes = 256L * 1024 * 1024 * 1024,
            CpuSlots = 4,
            Gpus = { new GpuDevice { Index = 0, Model = "NVIDIA H100" }, new GpuDevice { Index = 1, Model = "NVIDIA H100" } },
        },
        FreeGpuIndexes = { 1 },
        FreeCpuSlots = 3,
        SessionIds = { "ses-00000000000a" },
        RegisteredAt = Ago(TimeSpan.FromDays(2)),
        LastHeartbeatAt = Ago(TimeSpan.FromSeconds(1)),
        Version = "1.0.0.0",
    };
}
