namespace Spokes.TestSupport;

/// <summary>
/// A process's resident memory (Linux's /proc/PID/status), in bytes, and its parts: anonymous pages (heap and
/// native allocations), shared memory (where .NET maps the JIT's code), and mapped files (the runtime's and the
/// program's code, shared with every process that maps the same files).
/// </summary>
public sealed record ProcessMemory(long Resident, long Anonymous, long Shared, long Files)
{
    /// <summary>What is the process's own: anonymous pages and shared memory.</summary>
    public long Private => Anonymous + Shared;

    public static ProcessMemory Of(int pid)
    {
        var bytes = File.ReadLines($"/proc/{pid}/status").Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => long.TryParse(p[1].Trim().Split(' ')[0], out var kb) ? kb * 1024 : 0);
        return new ProcessMemory(bytes["VmRSS"], bytes["RssAnon"], bytes["RssShmem"], bytes["RssFile"]);
    }

    public override string ToString() => $"{Mb(Resident)} resident = {Mb(Private)} private + {Mb(Files)} mapped files";

    private static string Mb(long bytes) => $"{bytes / 1024.0 / 1024.0:F1} MB";
}
