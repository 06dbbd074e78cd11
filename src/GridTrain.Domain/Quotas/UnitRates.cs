using System.Globalization;
using GridTrain.Domain.Agents;

namespace GridTrain.Domain.Quotas;

/// <summary>
/// What an hour of each runtime costs in compute units: per GPU by the model an agent advertises, and per CPU session.
/// A model rate applies to a GPU whose model name contains every word of its key (<c>A100</c> matches
/// "NVIDIA A100-SXM4-80GB", <c>A10</c> does not); the key with the most words wins, then the longer key. GPUs no key
/// matches cost <see cref="Gpu"/>. Without configured rates every GPU costs 1 unit an hour and a CPU session nothing.
/// </summary>
public sealed class UnitRates
{
    /// <summary>The key of the per-CPU-session rate.</summary>
    public const string CpuKey = "cpu";

    /// <summary>The key of the rate of GPUs no model key matches.</summary>
    public const string GpuKey = "gpu";

    private static readonly char[] s_separators = [' ', '-', '_', '/', '.', ',', '(', ')'];

    private readonly (string Key, string[] Words, double Rate)[] _models;

    private UnitRates(double cpu, double gpu, IEnumerable<KeyValuePair<string, double>> models)
    {
        Cpu = cpu;
        Gpu = gpu;
        _models = [.. models
            .Select(m => (m.Key, Words: Words(m.Key), m.Value))
            .OrderByDescending(m => m.Words.Length)
            .ThenByDescending(m => m.Key.Length)
            .ThenBy(m => m.Key, StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary>Every GPU 1 unit an hour, a CPU session 0.</summary>
    public static UnitRates Default { get; } = new(0, 1, []);

    /// <summary>Units an hour of one CPU session.</summary>
    public double Cpu { get; }

    /// <summary>Units an hour of one GPU that no model key matches.</summary>
    public double Gpu { get; }

    /// <summary>The model keys and their rates, most specific first.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> Models => [.. _models.Select(m => KeyValuePair.Create(m.Key, m.Rate))];

    /// <summary>
    /// Reads <c>KEY=RATE</c> entries (<c>cpu=0.1</c>, <c>gpu=1</c>, <c>H100=6</c>); unnamed keys keep their defaults.
    /// Throws <see cref="FormatException"/> naming the entry that is wrong.
    /// </summary>
    public static UnitRates Parse(IEnumerable<string> entries)
    {
        double? cpu = null, gpu = null;
        var models = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in entries)
        {
            var equals = entry.IndexOf('=', StringComparison.Ordinal);
            var key = equals < 0 ? "" : entry[..equals].Trim();
            if (equals < 0 || key.Length == 0)
            {
                throw new FormatException($"unit rate '{entry}': expected KEY=RATE, e.g. gpu=1, cpu=0.1 or H100=6");
            }

            if (!double.TryParse(entry[(equals + 1)..].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var rate)
                || !double.IsFinite(rate) || rate < 0 || rate > 1_000_000)
            {
                throw new FormatException($"unit rate '{entry}': the rate must be a number of units per hour between 0 and 1000000");
            }

            if (Words(key).Length == 0 || key.Length > 64)
            {
                throw new FormatException($"unit rate '{entry}': the key must be cpu, gpu or a GPU model of at most 64 characters");
            }

            var duplicate = key.Equals(CpuKey, StringComparison.OrdinalIgnoreCase) ? cpu.HasValue
                : key.Equals(GpuKey, StringComparison.OrdinalIgnoreCase) ? gpu.HasValue
                : models.ContainsKey(key);
            if (duplicate)
            {
                throw new FormatException($"unit rate '{entry}': {key} is given twice");
            }

            if (key.Equals(CpuKey, StringComparison.OrdinalIgnoreCase))
            {
                cpu = rate;
            }
            else if (key.Equals(GpuKey, StringComparison.OrdinalIgnoreCase))
            {
                gpu = rate;
            }
            else
            {
                models[key] = rate;
            }
        }

        return cpu is null && gpu is null && models.Count == 0 ? Default : new UnitRates(cpu ?? Default.Cpu, gpu ?? Default.Gpu, models);
    }

    /// <summary>Units an hour of one GPU of <paramref name="model"/>.</summary>
    public double ForGpu(string model)
    {
        var words = Words(model);
        foreach (var (_, keyWords, rate) in _models)
        {
            if (keyWords.All(k => words.Contains(k, StringComparer.OrdinalIgnoreCase)))
            {
                return rate;
            }
        }

        return Gpu;
    }

    /// <summary>Units an hour of a placement holding <paramref name="gpus"/> (none: a CPU session).</summary>
    public double ForPlacement(IEnumerable<GpuDevice> gpus)
    {
        var held = gpus.ToList();
        return held.Count == 0 ? Cpu : held.Sum(g => ForGpu(g.Model));
    }

    /// <summary>True when every GPU rate is zero, so no GPU session spends units.</summary>
    public bool GpusAreFree => Gpu == 0 && _models.All(m => m.Rate == 0);

    /// <summary>The rates as <c>KEY=RATE</c> entries, most specific model first.</summary>
    public override string ToString() =>
        string.Join(", ", new[] { $"{CpuKey}={Cpu.ToString(CultureInfo.InvariantCulture)}", $"{GpuKey}={Gpu.ToString(CultureInfo.InvariantCulture)}" }
            .Concat(_models.Select(m => $"{m.Key}={m.Rate.ToString(CultureInfo.InvariantCulture)}")));

    private static string[] Words(string text) => text.Split(s_separators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
