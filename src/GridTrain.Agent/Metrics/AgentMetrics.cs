using System.Diagnostics.Metrics;
using GridTrain.Agent.Gpu;
using GridTrain.Domain.Agents.Health;
using GridTrain.Domain.Telemetry;

namespace GridTrain.Agent.Metrics;

/// <summary>
/// The agent's gauges on the meter <c>GridTrain.Agent</c>: per GPU (utilization, memory, temperature, power, labelled
/// by NVML index, UUID, model and the session holding it), per running job (step, loss, samples/s from its progress
/// reports), and the agent's own state, including its checkpoint upload backlog. Every gauge is read when collected;
/// to add one, add a <c>CreateObservableGauge</c> line in <see cref="CreateInstruments"/> reading from what the agent already tracks.
/// </summary>
internal sealed class AgentMetrics : IDisposable
{
    public const string MeterName = "GridTrain.Agent";

    /// <summary>
    /// Series each gauge may hold (the exporter's default cardinality limit); per-job and per-session series of ended
    /// work are dropped by recycling the instruments at half of it.
    /// </summary>
    public const int SeriesLimit = 2_000;

    /// <summary>How often the series in use are counted towards recycling.</summary>
    public static readonly TimeSpan ChurnCheckInterval = TimeSpan.FromSeconds(30);

    private readonly RecyclingMeter _meter;
    private readonly GridAgent _agent;
    private readonly GpuSampler _gpus;
    private readonly ITimer _churnCheck;

    public AgentMetrics(IMeterFactory meterFactory, GridAgent agent, GpuSampler gpus, TimeProvider time)
        : this(meterFactory, agent, gpus, time, SeriesLimit)
    {
    }

    /// <summary>With a series limit other than the exporter's default (tests).</summary>
    /// <param name="meterFactory">The agent host's meter factory: the meter's scope, by which its exporter knows its own.</param>
    /// <param name="agent">The agent whose state the gauges read.</param>
    /// <param name="gpus">The GPU readings.</param>
    /// <param name="time">Drives the churn check.</param>
    /// <param name="seriesLimit">The exporter's cardinality limit for these gauges; recycling starts at half of it.</param>
    internal AgentMetrics(IMeterFactory meterFactory, GridAgent agent, GpuSampler gpus, TimeProvider time, int seriesLimit)
    {
        _agent = agent;
        _gpus = gpus;
        _meter = new RecyclingMeter(new MeterOptions(MeterName) { Scope = meterFactory }, seriesLimit, CreateInstruments);
        _churnCheck = time.CreateTimer(_ => CheckChurn(), null, ChurnCheckInterval, ChurnCheckInterval);
    }

    /// <summary>How many times the per-job and per-session series were reset (see <see cref="RecyclingMeter"/>).</summary>
    public int Generation => _meter.Generation;

    /// <summary>Counts the series in use (jobs, and GPUs by holder) and recycles the instruments when ended ones pile up.</summary>
    public void CheckChurn()
    {
        var holders = Holders();
        _meter.Observe(
            [.. _agent.Status().Jobs.Select(j => $"{j.SessionId}|{j.JobId}")],
            [.. _gpus.Read().Select(g => $"{g.Device.Index}|{holders.GetValueOrDefault(g.Device.Index)}")]);
    }

    public void Dispose()
    {
        _churnCheck.Dispose();
        _meter.Dispose();
    }

    private void CreateInstruments(Meter meter)
    {
        meter.CreateObservableGauge("gridtrain.agent.connected", () => _agent.IsConnected ? 1 : 0, "", "1 while the agent is registered with the controller and connected, else 0.");
        meter.CreateObservableGauge("gridtrain.agent.sessions", () => _agent.Status().Sessions.Count, "{session}", "Sessions this agent holds.");
        meter.CreateObservableGauge("gridtrain.agent.jobs", () => _agent.Status().Jobs.Count, "{job}", "Job processes this agent runs.");
        meter.CreateObservableGauge("gridtrain.agent.checkpoint.upload.backlog", () => _agent.CheckpointUploadBacklog, "{checkpoint}", "Checkpoints spooled by jobs and not yet stored and verified in the checkpoint store (always 0 for the local store).");

        meter.CreateObservableGauge("gridtrain.gpu.utilization.ratio", () => Gpu(r => r.Utilization), "1", "Fraction of the last sample period in which a kernel ran on the GPU (0-1); absent where the GPU does not report it.");
        meter.CreateObservableGauge("gridtrain.gpu.memory.used", () => GpuBytes(r => r.MemoryUsedBytes), "By", "GPU memory in use.");
        meter.CreateObservableGauge("gridtrain.gpu.memory.total", () => GpuBytes(r => r.MemoryTotalBytes), "By", "GPU memory installed.");
        meter.CreateObservableGauge("gridtrain.gpu.temperature", () => Gpu(r => r.TemperatureCelsius), "Cel", "GPU core temperature.");
        meter.CreateObservableGauge("gridtrain.gpu.power", () => Gpu(r => r.PowerWatts), "W", "GPU board power draw.");

        meter.CreateObservableGauge("gridtrain.gpu.healthy", GpuHealth, "", "1 while the GPU may be leased, 0 while it is out of service (labels cause and reason say why).");
        meter.CreateObservableCounter(
            "gridtrain.gpu.faults",
            () => _agent.GpuHealth.Current.Count == 0 ? [] : GpuFaultCauses.All.Select(cause => new Measurement<long>(_agent.GpuHealth.Faults(cause), new KeyValuePair<string, object?>("cause", cause.Label()))),
            "{fault}",
            "GPUs taken out of service since the agent started, by cause (xid, ecc_uncorrectable, pages_pending, lost, hw_slowdown, health_command).");

        meter.CreateObservableGauge("gridtrain.job.step", () => Job(p => p.Step), "{step}", "Training step of each running job, from its newest progress report.");
        meter.CreateObservableGauge("gridtrain.job.loss", () => Job(p => p.Loss), "", "Mean training loss since each running job's previous progress report.");
        meter.CreateObservableGauge("gridtrain.job.throughput", () => Job(p => p.SamplesPerSecond), "{sample}/s", "Training samples per second of each running job.");
    }

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

    private IEnumerable<Measurement<int>> GpuHealth()
    {
        var holders = Holders();
        return _agent.GpuHealth.Current.Select(health =>
        {
            var tags = new List<KeyValuePair<string, object?>>(5)
            {
                new("gpu_index", health.Index.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new("gpu_uuid", health.Uuid),
            };
            if (holders.TryGetValue(health.Index, out var session))
            {
                tags.Add(new("session", session));
            }

            if (health.Cause is { } cause)
            {
                tags.Add(new("cause", cause.Label()));
                tags.Add(new("reason", health.Reason));
            }

            return new Measurement<int>(health.Healthy ? 1 : 0, tags);
        });
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
