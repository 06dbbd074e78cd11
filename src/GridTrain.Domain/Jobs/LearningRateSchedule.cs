namespace GridTrain.Domain.Jobs;

/// <summary>
/// The learning rate as a function of the optimizer step: a linear warmup from <c>lr / WarmupSteps</c> over the first
/// <see cref="WarmupSteps"/> steps, then <c>constant</c>, <c>step</c> (times <see cref="Gamma"/> every
/// <see cref="StepEpochs"/> epochs) or <c>cosine</c> (from lr to <see cref="MinLearningRate"/> over the remaining steps).
/// </summary>
public sealed record LearningRateSchedule
{
    /// <summary>Default <see cref="ScheduleKind.Constant"/>.</summary>
    public ScheduleKind Name { get; init; } = JobSpecDefaults.Schedule;

    /// <summary>For <c>step</c>: epochs between two decays; 0 means 1.</summary>
    public int StepEpochs { get; init; }

    /// <summary>For <c>step</c>: the factor applied at each decay, in (0, 1]; 0 means 0.1.</summary>
    public double Gamma { get; init; }

    /// <summary>Steps of linear warmup; 0 means none.</summary>
    public int WarmupSteps { get; init; }

    /// <summary>For <c>cosine</c>: the learning rate at the last step; default 0.</summary>
    public double MinLearningRate { get; init; }
}
