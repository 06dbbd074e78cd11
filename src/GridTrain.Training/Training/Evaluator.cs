using GridTrain.Training.Data;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GridTrain.Training;

/// <summary>Evaluates a model on a split in eval mode without gradients; leaves the model in train mode.</summary>
internal static class Evaluator
{
    private const int BatchSize = 500;

    public static Evaluation? Evaluate(Module<Tensor, Tensor> model, LabeledImages data) => Evaluate(model, model, data);

    public static Evaluation? Evaluate(Module model, IModule<Tensor, Tensor> forward, LabeledImages data)
    {
        if (data.Count == 0)
        {
            return null;
        }

        model.eval();
        try
        {
            using var noGrad = torch.no_grad();
            var lossSum = 0.0;
            var correct = 0L;
            for (var start = 0; start < data.Count; start += BatchSize)
            {
                using var scope = torch.NewDisposeScope();
                var length = Math.Min(BatchSize, data.Count - start);
                var labels = data.Labels.narrow(0, start, length);
                var logits = forward.call(data.Images.narrow(0, start, length));
                lossSum += functional.cross_entropy(logits, labels, reduction: Reduction.Sum).item<float>();
                correct += logits.argmax(1).eq(labels).sum().item<long>();
            }

            return new Evaluation(lossSum / data.Count, (double)correct / data.Count);
        }
        finally
        {
            model.train();
        }
    }
}
