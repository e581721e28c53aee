using System.Diagnostics;
using Spokes.AppHost.Suite;

namespace Spokes.AppHost.Local;

/// <summary>
/// Finds the programs the local profile runs (redis-server, rabbitmq-server, epmd) before Aspire starts: Aspire
/// reports a missing program only as a resource that failed to start, with nothing on the console. When running
/// as root on Debian, a missing one is installed with apt, so a fresh machine needs no manual step.
/// </summary>
public static class ProgramLocator
{
    /// <summary>Returns the full path of <paramref name="program"/>, installing <paramref name="aptPackage"/> if needed.</summary>
    public static string Require(string program, string aptPackage)
    {
        if (Find(program) is { } found) return found;
        if (!CanInstallWithApt())
        {
            throw new SetupException(
                $"{Path.GetFileName(program)} is not installed: run `sudo apt-get install -y {aptPackage}` (Debian/Ubuntu) and start again.");
        }

        Console.WriteLine($"{Path.GetFileName(program)} is missing: installing Debian package {aptPackage} …");
        if (RunApt("install", "-y", "-q", "--no-install-recommends", aptPackage) != 0)
        {
            // A fresh machine may have no package lists yet.
            RunApt("update", "-q");
            RunApt("install", "-y", "-q", "--no-install-recommends", aptPackage);
        }
        return Find(program) ?? throw new SetupException(
            $"Installing {aptPackage} did not provide {program}: install it by hand and start again.");
    }

    public static string? Find(string program)
    {
        if (Path.IsPathRooted(program)) return File.Exists(program) ? program : null;
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/sbin").Append("/sbin")
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);
    }

    private static bool CanInstallWithApt() =>
        OperatingSystem.IsLinux() && File.Exists("/etc/debian_version") && Find("apt-get") is not null
        && Environment.UserName == "root";

    private static int RunApt(params string[] arguments)
    {
        var info = new ProcessStartInfo("apt-get") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        info.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        Task.WaitAll(output, error);
        return process.ExitCode;
    }
}
