using TorchSharp;
using static TorchSharp.torch;

namespace GridTrain.Training;

/// <summary>
/// The device a run trains on, and its generators: the CPU generator is seeded once and saved in checkpoints; CUDA's
/// generator state cannot be saved by TorchSharp 0.107, so on CUDA it is reseeded from (seed, step) before every step,
/// which keeps a resumed run's dropout identical to an uninterrupted one.
/// </summary>
internal sealed class RunDevice
{
    private const ulong StepSalt = 0x9E3779B97F4A7C15UL;
    private readonly long _seed;

    public RunDevice(Device device, long seed)
    {
        Device = device;
        _seed = seed;
    }

    public Device Device { get; }

    public bool IsCuda => Device.type == DeviceType.CUDA;

    public string Name => DeviceSelector.Name(Device);

    /// <summary>Seeds the CPU generator, and every CUDA generator on CUDA.</summary>
    public void Seed()
    {
        torch.manual_seed(_seed);
        if (IsCuda)
        {
            torch.cuda.manual_seed_all(_seed);
        }
    }

    public void BeforeStep(long step)
    {
        if (IsCuda)
        {
            torch.cuda.manual_seed_all((long)((ulong)_seed ^ ((ulong)(step + 1) * StepSalt)));
        }
    }
}
