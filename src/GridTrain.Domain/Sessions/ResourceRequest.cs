namespace GridTrain.Domain.Sessions;

/// <summary>What a session holds: a CPU slot, or <paramref name="GpuCount"/> whole GPUs whose model contains <paramref name="GpuModel"/>.</summary>
public sealed record ResourceRequest(Runtime Runtime, int GpuCount = 0, string GpuModel = "")
{
    public static ResourceRequest Cpu { get; } = new(Runtime.Cpu);

    /// <summary>Problems with the request, each naming its field under <paramref name="prefix"/>.</summary>
    public IEnumerable<string> Validate(string prefix)
    {
        if (Runtime == Runtime.Gpu && GpuCount is < 1 or > 64)
        {
            yield return $"{prefix}.gpu_count: a gpu session needs between 1 and 64 GPUs, got {GpuCount}";
        }

        if (Runtime == Runtime.Cpu && GpuCount != 0)
        {
            yield return $"{prefix}.gpu_count: must be 0 for a cpu session, got {GpuCount}";
        }

        if (GpuModel.Length > 64)
        {
            yield return $"{prefix}.gpu_model: at most 64 characters, got {GpuModel.Length}";
        }
    }
}
