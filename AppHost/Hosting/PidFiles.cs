namespace Spokes.AppHost.Hosting;

/// <summary>
/// Remembers the process group of every child under <c>DATA/run</c>, so that an AppHost that was killed
/// (SIGKILL, a crash) leaves nothing that the next start cannot find and stop.
/// </summary>
public static class PidFiles
{
    private static string Folder(string dataFolder) => Path.Combine(dataFolder, "run");

    public static void Write(string dataFolder, string resource, int pid)
    {
        Directory.CreateDirectory(Folder(dataFolder));
        File.WriteAllText(Path.Combine(Folder(dataFolder), resource + ".pid"), pid.ToString());
    }

    /// <summary>Stops process groups left by an earlier AppHost on the same data folder; returns what it stopped.</summary>
    public static IReadOnlyList<string> StopLeftovers(string dataFolder)
    {
        var stopped = new List<string>();
        if (!Directory.Exists(Folder(dataFolder))) return stopped;
        foreach (var file in Directory.GetFiles(Folder(dataFolder), "*.pid"))
        {
            if (int.TryParse(File.ReadAllText(file).Trim(), out var pid) && IsOurs(pid, dataFolder))
            {
                ManagedProcess.KillGroup(pid);
                stopped.Add($"{Path.GetFileNameWithoutExtension(file)} (pid {pid})");
            }
            File.Delete(file);
        }
        return stopped;
    }

    /// <summary>Only a process that carries our owner mark is touched, never one that reused the PID.</summary>
    private static bool IsOurs(int pid, string dataFolder)
    {
        try
        {
            var environ = File.ReadAllText($"/proc/{pid}/environ");
            return environ.Split('\0').Contains($"{ManagedProcess.OwnerVariable}={dataFolder}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
