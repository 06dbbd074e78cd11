namespace GridTrain.Domain.Jobs.Validation;

/// <summary>Rules of <c>spec.hyperparameters</c>, its learning-rate schedule and its early stopping.</summary>
internal static class HyperparameterRules
{
    public static void Check(Hyperparameters h, List<string> errors)
    {
        SpecText.Defined(h.Optimizer, "spec.hyperparameters.optimizer", "optimizer", errors);
        if (h.LearningRate < 0 || !SpecText.IsFinite(h.LearningRate))
        {
            errors.Add($"spec.hyperparameters.learning_rate: must be a positive number, got {h.LearningRate}");
        }

        if (h.BatchSize is < 1 or > 65536)
        {
            errors.Add($"spec.hyperparameters.batch_size: must be between 1 and 65536, got {h.BatchSize}");
        }

        if (h.Epochs is < 1 or > 100_000)
        {
            errors.Add($"spec.hyperparameters.epochs: must be between 1 and 100000, got {h.Epochs}");
        }

        if (h.MaxSteps < 0)
        {
            errors.Add($"spec.hyperparameters.max_steps: must not be negative, got {h.MaxSteps}");
        }

        if (h.Momentum is < 0 or >= 1 || double.IsNaN(h.Momentum))
        {
            errors.Add($"spec.hyperparameters.momentum: must be in [0, 1), got {h.Momentum}");
        }

        if (h.Nesterov && (h.Optimizer != OptimizerKind.Sgd || h.Momentum <= 0))
        {
            errors.Add("spec.hyperparameters.nesterov: needs optimizer sgd with momentum > 0");
        }

        if (h.WeightDecay < 0 || !SpecText.IsFinite(h.WeightDecay))
        {
            errors.Add($"spec.hyperparameters.weight_decay: must be a non-negative number, got {h.WeightDecay}");
        }

        if (h.GradientClipNorm < 0 || !SpecText.IsFinite(h.GradientClipNorm))
        {
            errors.Add($"spec.hyperparameters.gradient_clip_norm: must be a non-negative number, got {h.GradientClipNorm}");
        }

        if (h.Schedule is { } schedule)
        {
            CheckSchedule(schedule, errors);
        }

        if (h.EarlyStopping is { } earlyStopping)
        {
            CheckEarlyStopping(earlyStopping, errors);
        }
    }

    private static void CheckSchedule(LearningRateSchedule schedule, List<string> errors)
    {
        SpecText.Defined(schedule.Name, "spec.hyperparameters.schedule.name", "schedule", errors);
        if (schedule.StepEpochs < 0)
        {
            errors.Add($"spec.hyperparameters.schedule.step_epochs: must not be negative, got {schedule.StepEpochs}");
        }

        if (schedule.Gamma is <= 0 or > 1 || double.IsNaN(schedule.Gamma))
        {
            errors.Add($"spec.hyperparameters.schedule.gamma: must be in (0, 1], got {schedule.Gamma}");
        }

        if (schedule.WarmupSteps < 0)
        {
            errors.Add($"spec.hyperparameters.schedule.warmup_steps: must not be negative, got {schedule.WarmupSteps}");
        }

        if (schedule.MinLearningRate < 0 || !SpecText.IsFinite(schedule.MinLearningRate))
        {
            errors.Add($"spec.hyperparameters.schedule.min_learning_rate: must be a non-negative number, got {schedule.MinLearningRate}");
        }
    }

    private static void CheckEarlyStopping(EarlyStoppingSpec earlyStopping, List<string> errors)
    {
        SpecText.Defined(earlyStopping.Metric, "spec.hyperparameters.early_stopping.metric", "metric", errors);
        if (earlyStopping.Patience is < 1 or > 100_000)
        {
            errors.Add($"spec.hyperparameters.early_stopping.patience: must be between 1 and 100000, got {earlyStopping.Patience}");
        }

        if (earlyStopping.MinDelta < 0 || !SpecText.IsFinite(earlyStopping.MinDelta))
        {
            errors.Add($"spec.hyperparameters.early_stopping.min_delta: must be a non-negative number, got {earlyStopping.MinDelta}");
        }
    }
}
