using System.Runtime.InteropServices;

namespace GridTrain.Agent.Jobs.Processes;

/// <summary>POSIX signals to child processes.</summary>
internal static partial class Signals
{
    private const int SigTerm = 15;
    private const int SigKill = 9;

    public static void Terminate(int processId)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("graceful stop needs POSIX signals");
        }

        _ = SysKill(processId, SigTerm);
    }

    /// <summary>SIGTERM to every process of the group <paramref name="groupLeaderId"/> leads (a user process started with setsid).</summary>
    public static void TerminateGroup(int groupLeaderId) => SignalGroup(groupLeaderId, SigTerm);

    /// <summary>SIGKILL to every process of the group <paramref name="groupLeaderId"/> leads, children that ignored SIGTERM included.</summary>
    public static void KillGroup(int groupLeaderId) => SignalGroup(groupLeaderId, SigKill);

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

    private static void SignalGroup(int groupLeaderId, int signal)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("process groups need POSIX signals");
        }

        // A negative pid signals the process group; ESRCH (the group is gone) is the outcome wanted anyway.
        _ = SysKill(-groupLeaderId, signal);
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SysKill(int pid, int signal);
}
