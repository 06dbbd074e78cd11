using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GridTrain.Training.Models;

/// <summary>
/// A basic residual block: conv 3x3 → batch norm → relu → conv 3x3 → batch norm, plus the input (through a strided
/// 1x1 convolution and batch norm when the shape changes), then relu.
/// </summary>
internal sealed class ResidualBlock : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> _conv1;
    private readonly Module<Tensor, Tensor> _bn1;
    private readonly Module<Tensor, Tensor> _conv2;
    private readonly Module<Tensor, Tensor> _bn2;
    private readonly Module<Tensor, Tensor>? _shortcut;

    public ResidualBlock(string name, int inputChannels, int outputChannels, int stride)
        : base(name)
    {
        _conv1 = Conv2d(inputChannels, outputChannels, kernel_size: 3, stride: stride, padding: 1, bias: false);
        _bn1 = BatchNorm2d(outputChannels);
        _conv2 = Conv2d(outputChannels, outputChannels, kernel_size: 3, padding: 1, bias: false);
        _bn2 = BatchNorm2d(outputChannels);
        if (stride != 1 || inputChannels != outputChannels)
        {
            _shortcut = Sequential(
                ("conv", Conv2d(inputChannels, outputChannels, kernel_size: 1, stride: stride, bias: false)),
                ("bn", BatchNorm2d(outputChannels)));
        }

        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var residual = _bn2.call(_conv2.call(functional.relu(_bn1.call(_conv1.call(input)))));
        var shortcut = _shortcut?.call(input) ?? input;
        return functional.relu(residual.add_(shortcut)).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _conv1.Dispose();
            _bn1.Dispose();
            _conv2.Dispose();
            _bn2.Dispose();
            _shortcut?.Dispose();
        }

        base.Dispose(disposing);
    }
}
