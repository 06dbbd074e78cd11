using GridTrain.Domain.Jobs;
using TorchSharp;
using TorchSharp.Modules;

namespace GridTrain.Training;

/// <summary>Builds the optimizer validated <see cref="Hyperparameters"/> name: sgd (momentum, Nesterov), adam or adamw, with weight decay.</summary>
internal static class OptimizerFactory
{
    public static OptimizerHelper Create(Hyperparameters h, IEnumerable<Parameter> parameters) => h.Optimizer switch
    {
        OptimizerKind.Sgd => torch.optim.SGD(parameters, h.LearningRate, momentum: h.Momentum, weight_decay: h.WeightDecay, nesterov: h.Nesterov),
        OptimizerKind.Adam => torch.optim.Adam(parameters, h.LearningRate, weight_decay: h.WeightDecay),
        OptimizerKind.AdamW => torch.optim.AdamW(parameters, h.LearningRate, weight_decay: h.WeightDecay),
        _ => throw new ArgumentOutOfRangeException(nameof(h), h.Optimizer, "not an optimizer"),
    };
}
