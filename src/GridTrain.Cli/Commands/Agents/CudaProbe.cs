using System.Globalization;
using TorchSharp;

namespace GridTrain.Cli.Commands.Agents;

/// <summary>CUDA as a job process sees it: TorchSharp's libtorch, every visible device, one matmul each.</summary>
internal static class CudaProbe
{
    public sealed record Result(IReadOnlyList<string> Lines, string? Problem);

    /// <summary>Checks that CUDA is available, sees <paramref name="expectedDevices"/> devices, and computes on each.</summary>
    public static Result Run(int expectedDevices)
    {
        var lines = new List<string>();
        bool available;
        try
        {
            available = torch.cuda.is_available();
        }
        catch (Exception ex) when (ex is DllNotFoundException or NotSupportedException or InvalidOperationException)
        {
            return new Result(lines, $"libtorch did not load: {ex.Message}");
        }

        if (!available)
        {
            return new Result(lines, "torch.cuda.is_available() is false: this libtorch is a CPU build, or no CUDA driver is visible");
        }

        var count = torch.cuda.device_count();
        lines.Add($"cuda devices={count}");
        if (Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES") is null && count != expectedDevices)
        {
            return new Result(lines, $"CUDA sees {count} device(s), NVML {expectedDevices}");
        }

        for (var index = 0; index < count; index++)
        {
            var device = new torch.Device(DeviceType.CUDA, index);
            using var scope = torch.NewDisposeScope();
            var a = torch.ones(512, 512, device: device);
            var product = a.matmul(a).sum().cpu().item<float>();
            const float expected = 512f * 512f * 512f;
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"cuda {index} matmul sum={product}"));
            if (product != expected)
            {
                return new Result(lines, $"device {index}: matmul of ones gave {product}, expected {expected}");
            }
        }

        return new Result(lines, null);
    }
}
