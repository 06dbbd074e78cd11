using System.Diagnostics.Metrics;
using GridTrain.Agent.Connection;
using GridTrain.Agent.Gpu;

namespace GridTrain.Agent.Metrics;

/// <summary>
/// The agent's gauges on the meter <c>GridTrain.Agent</c>: per GPU (utilization, memory, temperature, power, labelled
/// by NVML index, UUID, model and the session holding it), per running job (step, loss, samples/s from its progress
/// reports), and the agent's own state, including its checkpoint upload backlog. Every gauge is read when collected;
/// to add one, add a <c>CreateObservableGauge</c> line in the constructor reading from what the agent already tracks.
/// </summary>
internal sealed class AgentMetrics : IDisposable
{
    public const string MeterName = "GridTrain.Agent";

    private readonly Meter _meter;
    private readonly GridAgent _agent;
    private readonly GpuSampler _gpus;

    public AgentMetrics(IMeterFactory meterFactory, GridAgent agent, GpuSampler gpus)
    {
        _agent = agent;
        _gpus = gpus;
        _meter = meterFactory.Create(MeterName);
        _meter.CreateObservableGauge("gridtrain.agent.connected", () => agent.IsConnected ? 1 : 0, "", "1 while the agent is registered with the controller and connected, else 0.");
        _meter.CreateObservableGauge("gridtrain.agent.sessions", () => agent.Status().Sessions.Count, "{session}", "Sessions this agent holds.");
        _meter.CreateObservableGauge("gridtrain.agent.jobs", () => agent.Status().Jobs.Count, "{job}", "Job processes this agent runs.");
        _meter.CreateObservableGauge("gridtrain.agent.checkpoint.upload.backlog", () => agent.CheckpointUploadBacklog, "{checkpoint}", "Checkpoints spooled by jobs and not yet stored and verified in the checkpoint store (always 0 for the local store).");

        _meter.CreateObservableGauge("gridtrain.gpu.utilization.ratio", () => Gpu(r => r.Utilization), "1", "Fraction of the last sample period in which a kernel ran on the GPU (0-1); absent where the GPU does not report it.");
        _meter.CreateObservableGauge("gridtrain.gpu.memory.used", () => GpuBytes(r => r.MemoryUsedBytes), "By", "GPU memory in use.");
        _meter.CreateObservableGauge("gridtrain.gpu.memory.total", () => GpuBytes(r => r.MemoryTotalBytes), "By", "GPU memory installed.");
        _meter.CreateObservableGauge("gridtrain.gpu.temperature", () => Gpu(r => r.TemperatureCelsius), "Cel", "GPU core temperature.");
        _meter.CreateObservableGauge("gridtrain.gpu.power", () => Gpu(r => r.PowerWatts), "W", "GPU board power draw.");

        _meter.CreateObservableGauge("gridtrain.job.step", () => Job(p => p.Step), "{step}", "Training step of each running job, from its newest progress report.");
        _meter.CreateObservableGauge("gridtrain.job.loss", () => Job(p => p.Loss), "", "Mean training loss since each running job's previous progress report.");
        _meter.CreateObservableGauge("gridtrain.job.throughput", () => Job(p => p.SamplesPerSecond), "{sample}/s", "Training samples per second of each running job.");
    }

    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<double>> Gpu(Func<GpuReading, double?> value)
    {
        var holders = Holders();
        foreach (var (device, reading) in _gpus.Read())
        {
            if (value(reading) is not { } measured)
            {
                continue;
            }

            var tags = new List<KeyValuePair<string, object?>>(4)
            {
                new("gpu_index", device.Index.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new("gpu_uuid", device.Uuid),
                new("gpu_model", device.Model),
            };
            if (holders.TryGetValue(device.Index, out var session))
            {
                tags.Add(new("session", session));
            }

            yield return new Measurement<double>(measured, tags);
        }
    }

    private IEnumerable<Measurement<double>> GpuBytes(Func<GpuReading, long?> value) => Gpu(reading => value(reading) is { } v ? (double)v : null);

    private IEnumerable<Measurement<double>> Job(Func<Domain.Jobs.ProgressReported, double> value) =>
        _agent.Status().Jobs
            .Where(j => j.Progress is not null)
            .Select(j => new Measurement<double>(value(j.Progress!), new("session", j.SessionId), new("job", j.JobId)));

    /// <summary>Which session holds each GPU (by NVML index).</summary>
    private Dictionary<int, string> Holders()
    {
        var holders = new Dictionary<int, string>();
        foreach (var session in _agent.Status().Sessions)
        {
            foreach (var index in session.GpuIndexes)
            {
                holders[index] = session.SessionId;
            }
        }

        return holders;
    }
}
