using System.Runtime.InteropServices;
using GridTrain.Agent.UserCode;

namespace GridTrain.Agent.Jobs.Commands;

/// <summary>
/// Hands the directories a command job writes (its checkpoint directory, events file, TensorBoard directory, working
/// directory and unpacked files) to the user it runs as, when the agent drops to another user (<c>RunAs</c>).
/// </summary>
internal static partial class DirectoryOwner
{
    /// <summary>Gives <paramref name="paths"/> (and everything under the directories among them) to <paramref name="runAs"/> (<c>UID:GID</c>).</summary>
    /// <exception cref="IOException">A path could not be handed over.</exception>
    public static void Give(string runAs, params string[] paths)
    {
        var (uid, gid) = UserProcessStart.ParseRunAs(runAs);
        foreach (var path in paths)
        {
            var entries = Directory.Exists(path) ? Directory.EnumerateFileSystemEntries(path, "*", SearchOption.AllDirectories).Prepend(path) : [path];
            foreach (var entry in entries.Where(e => Path.Exists(e)))
            {
                if (Chown(entry, uid, gid) != 0)
                {
                    throw new IOException($"cannot give {entry} to {runAs}: errno {Marshal.GetLastPInvokeError()}");
                }
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Chown(string path, int uid, int gid);
}
