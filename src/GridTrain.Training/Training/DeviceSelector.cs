using GridTrain.Domain.Jobs;
using TorchSharp;
using static TorchSharp.torch;

namespace GridTrain.Training;

/// <summary>Resolves a job's <c>device</c> setting against what this process can use.</summary>
internal static class DeviceSelector
{
    /// <summary><c>auto</c>: CUDA when available, else the CPU; <c>cuda</c> without CUDA is a user error.</summary>
    public static Device Resolve(DeviceKind device, Func<bool> cudaAvailable)
    {
        var hasCuda = cudaAvailable();
        return device switch
        {
            DeviceKind.Cpu => CPU,
            DeviceKind.Cuda when hasCuda => CUDA,
            DeviceKind.Cuda => throw new TrainingUserException(
                "spec.device: cuda was asked for, but this agent has no usable CUDA device (torch.cuda.is_available() is false: no GPU leased to the job, or a CPU-only libtorch); use device auto or cpu, or run in a session with GPUs"),
            _ => hasCuda ? CUDA : CPU,
        };
    }

    /// <summary><c>cpu</c> or <c>cuda</c>, as recorded in checkpoint manifests.</summary>
    public static string Name(Device device) => device.type == DeviceType.CUDA ? "cuda" : "cpu";
}
