using System.Diagnostics;
using Spokes.TestSupport;

namespace Spokes.AppHost.Tests;

/// <summary>The processes of one suite run, found as the test command finds leftovers.</summary>
public static class SuiteProcesses
{
    /// <summary>
    /// Every live process of a run: marked with <paramref name="owner"/> in its environment (the AppHost, DCP and the
    /// services inherit it), or working inside it (servers, whose environment may be overwritten by their title).
    /// Zombies are gone already: only their exit status waits to be collected.
    /// </summary>
    public static IReadOnlyList<string> Of(string owner)
    {
        var found = new List<string>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                if (stat[stat.LastIndexOf(')') + 2] == 'Z') continue;
                var environment = File.ReadAllText(Path.Combine(dir, "environ")).Split('\0');
                var workingDirectory = new DirectoryInfo(Path.Combine(dir, "cwd")).LinkTarget ?? "";
                if (environment.Contains($"{ManagedProcess.OwnerVariable}={owner}")
                    || workingDirectory.StartsWith(owner + "/", StringComparison.Ordinal))
                {
                    found.Add($"{pid}: {File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ')}");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or not ours to read.
            }
        }
        return found;
    }

    /// <summary>Waits for the run's processes to end (DCP finishes its clean-up a moment after the AppHost); returns what is left.</summary>
    public static async Task<IReadOnlyList<string>> WaitUntilGoneAsync(string owner, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var left = Of(owner);
        while (left.Count > 0 && clock.Elapsed < timeout)
        {
            await Task.Delay(200);
            left = Of(owner);
        }
        return left;
    }
}
