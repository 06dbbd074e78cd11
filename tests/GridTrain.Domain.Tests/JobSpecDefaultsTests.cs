using GridTrain.Domain.Jobs;

namespace GridTrain.Domain.Tests;

/// <summary>The defaults step, apart from validation: zeros become defaults, anything else is left for the rules.</summary>
public sealed class JobSpecDefaultsTests
{
    [Fact]
    public void Apply_ZerosMeanDefaults_EachFromOnePlace()
    {
        var spec = JobSpecDefaults.Apply(JobSpecValidatorTests.Valid() with
        {
            Hyperparameters = new Hyperparameters { BatchSize = 0, Epochs = 0, Schedule = new LearningRateSchedule(), EarlyStopping = new EarlyStoppingSpec() },
            Checkpoint = new CheckpointPolicy { KeepLast = 0 },
        });

        Assert.Equal(JobSpecDefaults.BatchSize, spec.Hyperparameters.BatchSize);
        Assert.Equal(JobSpecDefaults.Epochs, spec.Hyperparameters.Epochs);
        Assert.Equal(JobSpecDefaults.AdamLearningRate, spec.Hyperparameters.LearningRate);
        Assert.Equal(JobSpecDefaults.KeepLast, spec.Checkpoint.KeepLast);
        Assert.Equal(new CheckpointPolicy().KeepLast, spec.Checkpoint.KeepLast);
        Assert.Equal(new LearningRateSchedule { StepEpochs = JobSpecDefaults.ScheduleStepEpochs, Gamma = JobSpecDefaults.ScheduleGamma }, spec.Hyperparameters.Schedule);
        Assert.Equal(JobSpecDefaults.Patience, spec.Hyperparameters.EarlyStopping!.Patience);
    }

    [Fact]
    public void Apply_OutOfRangeValues_LeftForTheValidatorToReport()
    {
        var spec = JobSpecDefaults.Apply(JobSpecValidatorTests.Valid() with
        {
            Hyperparameters = new Hyperparameters { LearningRate = double.NaN, BatchSize = -1, Schedule = new LearningRateSchedule { Gamma = -0.5 } },
            Checkpoint = new CheckpointPolicy { KeepLast = -2 },
        });

        Assert.True(double.IsNaN(spec.Hyperparameters.LearningRate));
        Assert.Equal(-1, spec.Hyperparameters.BatchSize);
        Assert.Equal(-0.5, spec.Hyperparameters.Schedule!.Gamma);
        Assert.Equal(-2, spec.Checkpoint.KeepLast);
    }

    [Fact]
    public void Apply_LearningRateAndWeightDecay_FollowTheOptimizer()
    {
        var sgd = JobSpecDefaults.Apply(JobSpecValidatorTests.Valid() with { Hyperparameters = new Hyperparameters { Optimizer = OptimizerKind.Sgd } });
        var adamw = JobSpecDefaults.Apply(JobSpecValidatorTests.Valid() with { Hyperparameters = new Hyperparameters { Optimizer = OptimizerKind.AdamW } });

        Assert.Equal(JobSpecDefaults.SgdLearningRate, sgd.Hyperparameters.LearningRate);
        Assert.Equal(0, sgd.Hyperparameters.WeightDecay);
        Assert.Equal(JobSpecDefaults.AdamWWeightDecay, adamw.Hyperparameters.WeightDecay);
    }
}
