using GridTrain.Training.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace GridTrain.Training.Tests.Infrastructure;

/// <summary>Reads the parameters and buffers a checkpoint file holds.</summary>
public static class CheckpointContents
{
    public static Dictionary<string, Tensor> Weights(string path, nn.Module model)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        CheckpointFile.ReadHeader(reader, path);
        model.load(reader);
        return model.state_dict();
    }
}
