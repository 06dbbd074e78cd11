using System.Diagnostics;
using System.Globalization;

namespace GridTrain.Agent.UserCode;

/// <summary>
/// How every process of a user's own code starts on an agent (an exec, a command job): its argv as given (no shell),
/// in the session's workspace, in a process group of its own (so a stop reaches its children), optionally as another
/// user, seeing only the session's GPUs, with the session's share of threads, and with none of the agent's secrets in
/// its environment.
/// </summary>
public sealed record UserProcessStart
{
    /// <summary>The program and its arguments; the first must not be empty.</summary>
    public required IReadOnlyList<string> Argv { get; init; }

    /// <summary>Absolute working directory (inside the session's workspace).</summary>
    public required string WorkingDirectory { get; init; }

    /// <summary>The session's GPUs (NVML indexes); empty for a CPU session, which then sees none.</summary>
    public IReadOnlyList<int> GpuIndexes { get; init; } = [];

    /// <summary>Intra-op threads (<c>OMP_NUM_THREADS</c>, <c>MKL_NUM_THREADS</c>), at least 1.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Variables the user asked for, set after the agent's own were removed; the GPU and thread variables win over them.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Run as this <c>UID:GID</c> (the agent must be root); null runs as the agent's user.</summary>
    public string? RunAs { get; init; }

    /// <summary>Whether standard input is a pipe the caller writes (else it reads end-of-file at once).</summary>
    public bool RedirectStandardInput { get; init; } = true;

    /// <summary>The start information: <c>setsid</c> (and <c>setpriv</c> for <see cref="RunAs"/>) in front of <see cref="Argv"/>.</summary>
    /// <exception cref="ArgumentException">Argv is empty or its program is blank.</exception>
    public ProcessStartInfo ToStartInfo()
    {
        if (Argv.Count == 0 || string.IsNullOrWhiteSpace(Argv[0]))
        {
            throw new ArgumentException("argv is empty: name the program to run, e.g. -- ls -a", nameof(Argv));
        }

        var startInfo = new ProcessStartInfo("setsid")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = WorkingDirectory,
        };

        // A session of its own: the process leads a new process group, which a stop signals as a whole.
        startInfo.ArgumentList.Add("--");
        if (RunAs is { } runAs)
        {
            var (uid, gid) = ParseRunAs(runAs);
            foreach (var argument in new[] { "setpriv", $"--reuid={uid}", $"--regid={gid}", "--clear-groups", "--" })
            {
                startInfo.ArgumentList.Add(argument);
            }
        }

        foreach (var argument in Argv)
        {
            startInfo.ArgumentList.Add(argument);
        }

        UserEnvironment.Scrub(startInfo.Environment);
        foreach (var (name, value) in Environment)
        {
            startInfo.Environment[name] = value;
        }

        var threads = Math.Max(1, Threads).ToString(CultureInfo.InvariantCulture);
        startInfo.Environment["OMP_NUM_THREADS"] = threads;
        startInfo.Environment["MKL_NUM_THREADS"] = threads;
        // GPU indexes are NVML's (PCI bus order); CUDA numbers devices fastest-first unless told otherwise.
        startInfo.Environment["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID";
        startInfo.Environment["CUDA_VISIBLE_DEVICES"] = string.Join(',', GpuIndexes);
        startInfo.Environment["NVIDIA_VISIBLE_DEVICES"] = GpuIndexes.Count == 0 ? "void" : string.Join(',', GpuIndexes);
        return startInfo;
    }

    /// <summary>Parses <c>UID:GID</c> (numbers).</summary>
    /// <exception cref="ArgumentException">Not two non-negative numbers separated by ':'.</exception>
    public static (int Uid, int Gid) ParseRunAs(string value)
    {
        var parts = value.Split(':');
        return parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var uid)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var gid)
            ? (uid, gid)
            : throw new ArgumentException($"run-as '{value}' is not UID:GID (numbers, e.g. 1000:1000)", nameof(value));
    }
}
