namespace GridTrain.IntegrationTests.Infrastructure;

/// <summary>Finds a job's process by its command line (the agent passes the job's request file, whose path names the job).</summary>
internal static class JobProcesses
{
    public static int? Find(string jobId)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var commandLine = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (commandLine.Contains("GridTrain.Worker.dll", StringComparison.Ordinal) && commandLine.Contains($"/jobs/{jobId}/", StringComparison.Ordinal))
                {
                    return pid;
                }
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours.
            }
        }

        return null;
    }

    public static bool IsAlive(int pid) => File.Exists($"/proc/{pid}/cmdline") && File.ReadAllText($"/proc/{pid}/cmdline").Length > 0;
}
