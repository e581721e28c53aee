using System.Diagnostics;
using Spokes.AppHost.Local;

namespace Spokes.AppHost.Suite;

public static class ContainerEngine
{
    /// <summary>The first container engine that answers (Docker, then Podman), or null: a client alone is not enough.</summary>
    public static string? Detect()
    {
        foreach (var engine in new[] { "docker", "podman" })
        {
            if (ProgramLocator.Find(engine) is null) continue;
            try
            {
                using var process = Process.Start(new ProcessStartInfo(engine, ["info", "--format", "{{.ServerVersion}}"])
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                })!;
                if (process.WaitForExit(TimeSpan.FromSeconds(5)) && process.ExitCode == 0) return engine;
                if (!process.HasExited) process.Kill();
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Not runnable: try the next engine.
            }
        }
        return null;
    }
}
