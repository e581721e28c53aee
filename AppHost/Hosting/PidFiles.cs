namespace Spokes.AppHost.Hosting;

/// <summary>
/// Remembers the process group of every child under <c>DATA/run</c>, so that an AppHost that was killed
/// (SIGKILL, a crash) leaves nothing that the next start cannot find and stop. A process is recognised by
/// its PID and its start time (from <c>/proc/PID/stat</c>), never by PID alone, so a reused PID is left
/// alone; its environment cannot serve, because programs such as redis-server overwrite it with their title.
/// </summary>
public static class PidFiles
{
    private static string Folder(string dataFolder) => Path.Combine(dataFolder, "run");

    public static void Write(string dataFolder, string resource, int pid)
    {
        Directory.CreateDirectory(Folder(dataFolder));
        File.WriteAllText(Path.Combine(Folder(dataFolder), resource + ".pid"), $"{pid} {StartTime(pid)}");
    }

    /// <summary>Stops process groups left by an earlier AppHost on the same data folder; returns what it stopped.</summary>
    public static IReadOnlyList<string> StopLeftovers(string dataFolder)
    {
        var stopped = new List<string>();
        if (!Directory.Exists(Folder(dataFolder))) return stopped;
        foreach (var file in Directory.GetFiles(Folder(dataFolder), "*.pid"))
        {
            var fields = File.ReadAllText(file).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 2 && int.TryParse(fields[0], out var pid) && StartTime(pid) is { } started && started == fields[1])
            {
                ManagedProcess.KillGroup(pid);
                stopped.Add($"{Path.GetFileNameWithoutExtension(file)} (pid {pid})");
            }
            File.Delete(file);
        }
        return stopped;
    }

    /// <summary>The process's start time in clock ticks since boot (field 22 of /proc/PID/stat), or null if it is gone.</summary>
    public static string? StartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) may hold spaces and parentheses: count fields after its closing ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields[19];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
