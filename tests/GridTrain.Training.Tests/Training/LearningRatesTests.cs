using GridTrain.Domain.Jobs;

namespace GridTrain.Training.Tests.Training;

public sealed class LearningRatesTests
{
    [Fact]
    public void NoSchedule_IsConstant() =>
        Assert.Equal(0.1, new LearningRates(0.1, null, 10, 100).At(57));

    [Fact]
    public void Warmup_RisesLinearlyToTheBaseRate()
    {
        var rates = new LearningRates(0.1, new LearningRateSchedule { Name = ScheduleKind.Constant, WarmupSteps = 4 }, 10, 100);

        Assert.Equal([0.025, 0.05, 0.075, 0.1, 0.1], Enumerable.Range(0, 5).Select(s => Math.Round(rates.At(s), 10)));
    }

    [Fact]
    public void Step_MultipliesByGammaEveryStepEpochs()
    {
        // 10 steps per epoch, decay every 2 epochs by half.
        var rates = new LearningRates(0.8, new LearningRateSchedule { Name = ScheduleKind.Step, StepEpochs = 2, Gamma = 0.5 }, 10, 100);

        Assert.Equal(0.8, rates.At(0));
        Assert.Equal(0.8, rates.At(19));
        Assert.Equal(0.4, rates.At(20));
        Assert.Equal(0.2, rates.At(45));
    }

    [Fact]
    public void Cosine_AnnealsFromTheBaseRateToTheMinimumAtTheLastStep()
    {
        var rates = new LearningRates(1.0, new LearningRateSchedule { Name = ScheduleKind.Cosine, MinLearningRate = 0.1 }, 10, 11);

        Assert.Equal(1.0, rates.At(0), 10);
        Assert.Equal(0.55, rates.At(5), 10);
        Assert.Equal(0.1, rates.At(10), 10);
    }

    [Fact]
    public void CosineAfterWarmup_StartsAtTheBaseRateWhenWarmupEnds()
    {
        var rates = new LearningRates(1.0, new LearningRateSchedule { Name = ScheduleKind.Cosine, WarmupSteps = 10 }, 10, 21);

        Assert.Equal(0.1, rates.At(0), 10);
        Assert.Equal(1.0, rates.At(10), 10);
        Assert.Equal(0.0, rates.At(20), 10);
    }
}
