namespace GridTrain.Domain.Jobs;

/// <summary>
/// Every default of a job spec, in one place. Spec records start from these values; <see cref="Apply"/> fills in
/// what a spec left at 0 ("the default") before <see cref="JobSpecValidator"/> checks it. Values out of range are left
/// as they are, for the validator to report.
/// </summary>
public static class JobSpecDefaults
{
    public const OptimizerKind Optimizer = OptimizerKind.Adam;
    public const double AdamLearningRate = 0.001;
    public const double SgdLearningRate = 0.01;

    /// <summary>Decoupled weight decay of <c>adamw</c> when none is given (the others default to none).</summary>
    public const double AdamWWeightDecay = 0.01;
    public const int BatchSize = 64;
    public const int Epochs = 1;
    public const long Seed = 1;
    public const int KeepLast = 3;
    public const DeviceKind Device = DeviceKind.Auto;
    public const ScheduleKind Schedule = ScheduleKind.Constant;
    public const int ScheduleStepEpochs = 1;
    public const double ScheduleGamma = 0.1;
    public const EvaluationMetric Metric = EvaluationMetric.TestLoss;
    public const int Patience = 3;
    public const int SyntheticImageSize = 28;
    public const int SyntheticClasses = 10;

    /// <summary>Share of synthetic training examples generated again for testing when no test count is given.</summary>
    public const int SyntheticTestDivisor = 5;
    public const CsvNormalization Normalization = CsvNormalization.Standard;
    public const double CsvTestFraction = 0.2;

    /// <summary>The spec with every value left at 0 replaced by its default.</summary>
    public static JobSpec Apply(JobSpec spec)
    {
        var h = spec.Hyperparameters;
        return spec with
        {
            Hyperparameters = h with
            {
                LearningRate = h.LearningRate == 0 ? (h.Optimizer == OptimizerKind.Sgd ? SgdLearningRate : AdamLearningRate) : h.LearningRate,
                BatchSize = h.BatchSize == 0 ? BatchSize : h.BatchSize,
                Epochs = h.Epochs == 0 ? Epochs : h.Epochs,
                WeightDecay = h.WeightDecay == 0 && h.Optimizer == OptimizerKind.AdamW ? AdamWWeightDecay : h.WeightDecay,
                Schedule = h.Schedule is { } schedule
                    ? schedule with
                    {
                        StepEpochs = schedule.StepEpochs == 0 ? ScheduleStepEpochs : schedule.StepEpochs,
                        Gamma = schedule.Gamma == 0 ? ScheduleGamma : schedule.Gamma,
                    }
                    : null,
                EarlyStopping = h.EarlyStopping is { } stopping ? stopping with { Patience = stopping.Patience == 0 ? Patience : stopping.Patience } : null,
            },
            Checkpoint = spec.Checkpoint with { KeepLast = spec.Checkpoint.KeepLast == 0 ? KeepLast : spec.Checkpoint.KeepLast },
            Data = ApplyToData(spec.Data),
        };
    }

    private static DataSpec ApplyToData(DataSpec data) => data switch
    {
        { Synthetic: { } synthetic } => data with
        {
            Synthetic = synthetic with
            {
                TestExamples = synthetic.TestExamples == 0 ? Math.Max(1, synthetic.TrainExamples / SyntheticTestDivisor) : synthetic.TestExamples,
                ImageSize = synthetic.ImageSize == 0 ? SyntheticImageSize : synthetic.ImageSize,
                Classes = synthetic.Classes == 0 ? SyntheticClasses : synthetic.Classes,
            },
        },
        { Csv: { } csv } => data with
        {
            Csv = csv with
            {
                TestFraction = csv.TestFraction == 0 ? CsvTestFraction : csv.TestFraction,
                TestPath = string.IsNullOrEmpty(csv.TestPath) ? null : csv.TestPath,
            },
        },
        _ => data,
    };
}
