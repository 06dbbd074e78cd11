using static TorchSharp.torch;

namespace GridTrain.Training.Models;

/// <summary>
/// A model ready to train. <see cref="Signature"/> is what a checkpoint must match to load into it;
/// <see cref="Identity"/> is recorded in checkpoint manifests (name plus a hash of the parameter shapes, or of the
/// TorchScript file). TorchScript models are saved back as TorchScript.
/// </summary>
internal sealed class TrainableModel : nn.IModule<Tensor, Tensor>, IDisposable
{
    public TrainableModel(nn.Module module, nn.IModule<Tensor, Tensor> forward, string name, string signature, string identity, bool isTorchScript)
    {
        Module = module;
        _forward = forward;
        Name = name;
        Signature = signature;
        Identity = identity;
        IsTorchScript = isTorchScript;
    }

    private readonly nn.IModule<Tensor, Tensor> _forward;

    /// <summary>The module: parameters, buffers, train/eval mode, device.</summary>
    public nn.Module Module { get; }

    public string Name { get; }

    public string Signature { get; }

    public string Identity { get; }

    public bool IsTorchScript { get; }

    /// <summary>Runs the model on a batch.</summary>
    public Tensor call(Tensor input) => _forward.call(input);

    /// <summary>File extension of <see cref="SaveModel"/>'s output: <c>.pt</c> (TorchScript) or <c>.bin</c> (TorchSharp weights).</summary>
    public string ModelFileExtension => IsTorchScript ? ".pt" : ".bin";

    /// <summary>Writes the weights as a standalone file: a TorchScript module PyTorch can load, or TorchSharp's weight format.</summary>
    public void SaveModel(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".tmp";
        if (IsTorchScript)
        {
            TorchSharp.torch.jit.save((jit.ScriptModule)Module, temporary);
        }
        else
        {
            Module.save(temporary);
        }

        File.Move(temporary, path, overwrite: true);
    }

    public void Dispose() => Module.Dispose();
}
