using System.Globalization;
using Microsoft.Diagnostics.Runtime;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Analysis;
using Microsoft.Diagnostics.Tracing.Analysis.GC;
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;
using TraceLog = Microsoft.Diagnostics.Tracing.Etlx.TraceLog;

// Reads a trace taken with:
//   dotnet-trace collect -p PID --providers Microsoft-Windows-DotNETRuntime:0x1:5 -o FILE.nettrace
// (GC events, with an allocation tick about every 100 KB allocated, each with its stack).
return args switch
{
    ["collections", var file] => Collections(file),
    ["allocations", var file, var from, var to, .. var frames] => Allocations(file, Seconds(from), Seconds(to), frames),
    ["crossgen", var dump] => CrossGenerations(dump),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        usage: dotnet run -c Release --project bench/GridTrain.GcTrace -- collections FILE.nettrace
                 each collection: time, generation, pause, heaps, promoted bytes, and the mark time and promoted bytes per
                 kind of root (stack, handles, older = through cards from older generations, ...)
               dotnet run -c Release --project bench/GridTrain.GcTrace -- allocations FILE.nettrace FROM_S TO_S [FRAME...]
                 bytes allocated between FROM_S and TO_S seconds into the trace, by the innermost stack frame that contains
                 one of the FRAME texts (e.g. SqlGridStore Evictions System.Net.Http); without FRAME, by type
               dotnet run -c Release --project bench/GridTrain.GcTrace -- crossgen FILE.dump
                 in a dump (dotnet-dump collect -p PID --type Heap), the references from old objects (gen2, large, pinned)
                 to young ones (gen0, gen1), by the old object's type and field: each is a card the next gen0 collection
                 must scan, so the cost of that collection
        """);
    return 2;
}

static double Seconds(string text) => double.Parse(text, CultureInfo.InvariantCulture);

static int Collections(string file)
{
    using var source = new EventPipeEventSource(file);
    source.NeedLoadedDotNetRuntimes();
    source.Process();
    string[] roots = ["stack", "finalize-queue", "handles", "older", "sized-ref", "overflow", "dependent-handles", "new-finalize-queue", "steal", "bgc-save"];
    foreach (var process in source.Processes())
    {
        if (process.LoadedDotNetRuntime() is not { } runtime)
        {
            continue;
        }

        Console.WriteLine($"process {process.ProcessID}: {runtime.GC.GCs.Count} collections");
        foreach (var gc in runtime.GC.GCs)
        {
            var marks = "";
            if (gc.PerHeapMarkTimes is { } perHeap)
            {
                // Heaps mark in parallel: the longest heap's time per kind of root, the bytes summed over heaps.
                var times = new double[roots.Length];
                var promoted = new double[roots.Length];
                foreach (var info in perHeap.Values)
                {
                    for (var i = 0; i < Math.Min(roots.Length, info.MarkTimes.Length); i++)
                    {
                        times[i] = Math.Max(times[i], info.MarkTimes[i]);
                        promoted[i] += info.MarkPromoted[i];
                    }
                }

                marks = string.Join(" ", Enumerable.Range(0, roots.Length).Where(i => times[i] >= 0.05 || promoted[i] > 0)
                    .Select(i => $"{roots[i]}={times[i]:F1}ms/{promoted[i] / 1048576.0:F1}MiB"));
            }

            Console.WriteLine($"#{gc.Number} t={gc.StartRelativeMSec / 1000:F1}s gen{gc.Generation} {gc.Type} {gc.Reason} pause={gc.PauseDurationMSec:F1}ms "
                + $"heaps={gc.HeapCount} promoted={gc.PromotedMB:F1}MB heap_after={gc.HeapSizeAfterMB:F0}MB marks: {marks}");
        }
    }

    return 0;
}

static int Allocations(string file, double from, double to, string[] frames)
{
    using var log = TraceLog.OpenOrConvert(TraceLog.CreateFromEventPipeDataFile(file));
    var bytes = new Dictionary<string, long>(StringComparer.Ordinal);
    long total = 0;
    foreach (var traceEvent in log.Events)
    {
        if (traceEvent is not GCAllocationTickTraceData tick || tick.TimeStampRelativeMSec / 1000 is var at && (at < from || at > to))
        {
            continue;
        }

        total += tick.AllocationAmount64;
        var key = frames.Length == 0 ? tick.TypeName : null;
        for (var frame = tick.CallStack(); frame is not null && key is null; frame = frame.Caller)
        {
            var method = frame.CodeAddress.FullMethodName ?? "";
            key = frames.FirstOrDefault(f => method.Contains(f, StringComparison.Ordinal));
        }

        key ??= "(other)";
        bytes[key] = bytes.GetValueOrDefault(key) + tick.AllocationAmount64;
    }

    Console.WriteLine($"{total / 1048576.0:F0} MiB allocated (sampled) in {to - from:F0} s");
    foreach (var (key, amount) in bytes.OrderByDescending(b => b.Value).Take(40))
    {
        Console.WriteLine($"{amount / 1048576.0,9:F1} MiB {100.0 * amount / total,5:F1} %  {key}");
    }

    return 0;
}

static int CrossGenerations(string dump)
{
    using var target = DataTarget.LoadDump(dump);
    // The DAC of the runtime this reader runs on (the dump's, when both are this machine's .NET 10); no symbol server here.
    using var runtime = target.ClrVersions[0].CreateRuntime(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "libmscordaccore.so"), ignoreMismatch: true);
    var heap = runtime.Heap;
    var references = new Dictionary<string, (long References, HashSet<ulong> Cards)>(StringComparer.Ordinal);
    long oldObjects = 0;
    foreach (var segment in heap.Segments)
    {
        foreach (var obj in segment.EnumerateObjects())
        {
            if (!obj.IsValid || !IsOld(segment.GetGeneration(obj.Address)))
            {
                continue;
            }

            oldObjects++;
            foreach (var reference in obj.EnumerateReferencesWithFields(carefully: false, considerDependantHandles: false))
            {
                if (heap.GetSegmentByAddress(reference.Object.Address) is not { } targetSegment || IsOld(targetSegment.GetGeneration(reference.Object.Address)))
                {
                    continue;
                }

                var field = reference.IsField ? reference.Field?.Name ?? "?" : "[]";
                var key = $"{obj.Type?.Name}.{field} -> {reference.Object.Type?.Name}";
                if (!references.TryGetValue(key, out var entry))
                {
                    entry = (0, []);
                }

                // A card covers 256 bytes on 64-bit: references within one card cost the collection one scan.
                entry.Cards.Add((obj.Address + (ulong)reference.Offset) >> 8);
                references[key] = (entry.References + 1, entry.Cards);
            }
        }
    }

    var cards = references.Values.SelectMany(r => r.Cards).Distinct().Count();
    Console.WriteLine($"{oldObjects:N0} old objects; {references.Values.Sum(r => r.References):N0} references to young objects on {cards:N0} cards");
    foreach (var (key, (count, keyCards)) in references.OrderByDescending(r => r.Value.Cards.Count).Take(50))
    {
        Console.WriteLine($"{keyCards.Count,9:N0} cards {count,9:N0} refs  {key}");
    }

    return 0;

    static bool IsOld(Generation generation) => generation is Generation.Generation2 or Generation.Large or Generation.Pinned or Generation.Frozen;
}
