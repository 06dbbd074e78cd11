using GridTrain.Domain.Jobs;

namespace GridTrain.Domain.Tests;

/// <summary>Text a user wrote for a closed choice of a job spec becomes its enum here, or an error naming the field and the allowed values.</summary>
public sealed class SpecChoiceTests
{
    [Theory]
    [InlineData("model", "spec.model.name: unknown model 'transformer'")]
    [InlineData("optimizer", "spec.hyperparameters.optimizer: unknown optimizer 'lion'")]
    [InlineData("device", "spec.device: unknown device 'tpu'; use one of auto, cpu, cuda")]
    [InlineData("csv-normalization", "spec.data.csv.normalization: unknown normalization 'zscore'; use one of minmax, none, standard")]
    [InlineData("schedule", "spec.hyperparameters.schedule.name: unknown schedule 'onecycle'; use one of constant, cosine, step")]
    [InlineData("metric", "spec.hyperparameters.early_stopping.metric: unknown metric 'f1'; use one of test_accuracy, test_loss")]
    public void Parse_UnknownSpelling_NamesTheFieldAndTheAllowedValues(string field, string expected)
    {
        var errors = new List<string>();

        _ = field switch
        {
            "model" => (object)Choice<ModelKind>.Parse("transformer", null, "spec.model.name", "model", errors),
            "optimizer" => Choice<OptimizerKind>.Parse("lion", JobSpecDefaults.Optimizer, "spec.hyperparameters.optimizer", "optimizer", errors),
            "device" => Choice<DeviceKind>.Parse("tpu", JobSpecDefaults.Device, "spec.device", "device", errors),
            "csv-normalization" => Choice<CsvNormalization>.Parse("zscore", JobSpecDefaults.Normalization, "spec.data.csv.normalization", "normalization", errors),
            "schedule" => Choice<ScheduleKind>.Parse("onecycle", JobSpecDefaults.Schedule, "spec.hyperparameters.schedule.name", "schedule", errors),
            "metric" => Choice<EvaluationMetric>.Parse("f1", JobSpecDefaults.Metric, "spec.hyperparameters.early_stopping.metric", "metric", errors),
            _ => throw new ArgumentOutOfRangeException(nameof(field)),
        };

        Assert.StartsWith(expected, Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Empty_TheDefault()
    {
        var errors = new List<string>();

        Assert.Equal(OptimizerKind.Adam, Choice<OptimizerKind>.Parse("", JobSpecDefaults.Optimizer, "spec.hyperparameters.optimizer", "optimizer", errors));
        Assert.Equal(DeviceKind.Auto, Choice<DeviceKind>.Parse("", JobSpecDefaults.Device, "spec.device", "device", errors));
        Assert.Equal(CsvNormalization.Standard, Choice<CsvNormalization>.Parse("", JobSpecDefaults.Normalization, "spec.data.csv.normalization", "normalization", errors));
        Assert.Empty(errors);
    }

    [Fact]
    public void Parse_EmptyModel_IsAnError()
    {
        var errors = new List<string>();

        Choice<ModelKind>.Parse("", null, "spec.model.name", "model", errors);

        Assert.Equal("spec.model.name: unknown model ''; use one of cnn, command, mlp, resnet, torchscript", Assert.Single(errors));
    }

    [Fact]
    public void Names_AreTheSpellingsUsersWrite_AndRoundTrip()
    {
        Assert.Equal(["cnn", "command", "mlp", "resnet", "torchscript"], Choice<ModelKind>.Names);
        Assert.Equal(["adam", "adamw", "sgd"], Choice<OptimizerKind>.Names);
        foreach (var kind in Enum.GetValues<EvaluationMetric>())
        {
            Assert.True(Choice<EvaluationMetric>.TryParse(Choice<EvaluationMetric>.NameOf(kind), out var back));
            Assert.Equal(kind, back);
        }
    }

    [Fact]
    public void Validate_ChoiceOutsideItsEnum_NamesTheField()
    {
        var result = JobSpecValidator.Validate(JobSpecValidatorTests.Valid() with { Device = (DeviceKind)7 });

        Assert.Equal("spec.device: unknown device '7'; use one of auto, cpu, cuda", Assert.Single(result.Errors));
    }
}
