using GridTrain.Domain.Jobs;
using TorchSharp;
using TorchSharp.Modules;

namespace GridTrain.Training;

/// <summary>Builds the optimizer validated <see cref="Hyperparameters"/> name.</summary>
internal static class OptimizerFactory
{
    public static OptimizerHelper Create(Hyperparameters hyperparameters, IEnumerable<Parameter> parameters) => hyperparameters.Optimizer switch
    {
        "sgd" => torch.optim.SGD(parameters, hyperparameters.LearningRate, momentum: hyperparameters.Momentum),
        "adam" => torch.optim.Adam(parameters, hyperparameters.LearningRate),
        _ => throw new TrainingUserException(
            $"spec.hyperparameters.optimizer: unknown optimizer '{hyperparameters.Optimizer}'; use one of {string.Join(", ", JobSpecValidator.Optimizers.Order())}"),
    };
}
