using System.Runtime.InteropServices;

namespace GridTrain.Agent.Jobs.Processes;

/// <summary>POSIX signals to child processes.</summary>
internal static partial class Signals
{
    private const int SigTerm = 15;

    public static void Terminate(int processId)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("graceful stop needs POSIX signals");
        }

        _ = SysKill(processId, SigTerm);
    }

    /// <summary>Name of a signal number, for failure messages.</summary>
    public static string Name(int signal) => signal switch
    {
        1 => "SIGHUP",
        2 => "SIGINT",
        6 => "SIGABRT",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        15 => "SIGTERM",
        _ => $"signal {signal}",
    };

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SysKill(int pid, int signal);
}
