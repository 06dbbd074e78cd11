using System.Security.Cryptography;
using System.Text;
using static TorchSharp.torch;

namespace GridTrain.Training.Models;

/// <summary>Identities of models for checkpoint manifests.</summary>
internal static class ModelIdentity
{
    /// <summary><c>{name} params-sha256={hash}</c>, the hash over every parameter's and buffer's name and shape in order.</summary>
    public static string OfShapes(string name, nn.Module module)
    {
        var text = new StringBuilder();
        foreach (var (parameter, tensor) in module.named_parameters())
        {
            text.Append(parameter).Append(':').AppendJoin(',', tensor.shape).Append(';');
        }

        foreach (var (buffer, tensor) in module.named_buffers())
        {
            text.Append(buffer).Append(':').AppendJoin(',', tensor.shape).Append(';');
        }

        return $"{name} params-sha256={Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))}";
    }

    /// <summary><c>torchscript sha256={hash}</c> of the module file the job started from.</summary>
    public static string OfTorchScript(byte[] file) => $"torchscript sha256={Convert.ToHexStringLower(SHA256.HashData(file))}";
}
