using GridTrain.Domain.Jobs;
using TorchSharp;
using static TorchSharp.torch;

namespace GridTrain.Training.Models;

/// <summary>Loads a user's TorchScript module, from the agent's disk or from the bytes uploaded with the job.</summary>
internal static class TorchScriptLoader
{
    public static TrainableModel Load(TorchScriptSpec spec, string workDirectory)
    {
        byte[] bytes;
        string path;
        if (spec.Module is { Length: > 0 } module)
        {
            Directory.CreateDirectory(workDirectory);
            path = Path.Combine(workDirectory, "input-model.pt");
            File.WriteAllBytes(path, module);
            bytes = module;
        }
        else
        {
            path = spec.Path!;
            try
            {
                bytes = File.ReadAllBytes(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new TrainingUserException($"spec.model.torchscript.path: cannot read '{path}': {ex.Message}", ex);
            }
        }

        jit.ScriptModule<Tensor, Tensor> loaded;
        try
        {
            loaded = jit.load<Tensor, Tensor>(path);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new TrainingUserException($"spec.model.torchscript: not a TorchScript module PyTorch's torch.jit.save wrote: {FirstLine(ex.Message)}", ex);
        }

        if (!loaded.parameters().Any(p => p.requires_grad))
        {
            loaded.Dispose();
            throw new TrainingUserException("spec.model.torchscript: the module has no trainable parameters");
        }

        var identity = ModelIdentity.OfTorchScript(bytes);
        return new TrainableModel(loaded, loaded, "torchscript", identity, identity, isTorchScript: true);
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
