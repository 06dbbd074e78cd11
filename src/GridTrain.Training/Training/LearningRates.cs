using GridTrain.Domain.Jobs;

namespace GridTrain.Training;

/// <summary>
/// The learning rate of each optimizer step under a <see cref="LearningRateSchedule"/>. A pure function of the step, so
/// a resumed run continues the schedule exactly; it needs no state in checkpoints.
/// </summary>
internal sealed class LearningRates
{
    private readonly double _baseRate;
    private readonly LearningRateSchedule? _schedule;
    private readonly long _stepsPerEpoch;
    private readonly long _totalSteps;

    public LearningRates(double baseRate, LearningRateSchedule? schedule, long stepsPerEpoch, long totalSteps)
    {
        _baseRate = baseRate;
        _schedule = schedule;
        _stepsPerEpoch = Math.Max(1, stepsPerEpoch);
        _totalSteps = Math.Max(1, totalSteps);
    }

    /// <summary>The rate for the step taken after <paramref name="stepsTaken"/> steps (0 for the first step).</summary>
    public double At(long stepsTaken)
    {
        if (_schedule is null)
        {
            return _baseRate;
        }

        var warmup = _schedule.WarmupSteps;
        if (stepsTaken < warmup)
        {
            return _baseRate * (stepsTaken + 1) / warmup;
        }

        switch (_schedule.Name)
        {
            case ScheduleKind.Step:
                var decays = stepsTaken / _stepsPerEpoch / _schedule.StepEpochs;
                return _baseRate * Math.Pow(_schedule.Gamma, decays);
            case ScheduleKind.Cosine:
                var span = Math.Max(1, _totalSteps - warmup - 1);
                var progress = Math.Min(1.0, (double)(stepsTaken - warmup) / span);
                return _schedule.MinLearningRate + ((_baseRate - _schedule.MinLearningRate) * (1 + Math.Cos(Math.PI * progress)) / 2);
            default:
                return _baseRate;
        }
    }
}
