using System.Diagnostics;

namespace Spokes.AppHost.Hosting;

/// <summary>Thrown when a program the suite needs is not installed; its message is the one line to show.</summary>
public sealed class MissingProgramException(string message) : Exception(message);

/// <summary>
/// Finds the programs the local profile runs (redis-server, rabbitmq-server …) and, when running as root on
/// Debian, installs the missing ones with apt — so a fresh machine needs no manual set-up step.
/// </summary>
public static class ProgramLocator
{
    private static readonly SemaphoreSlim AptLock = new(1, 1);

    /// <summary>Returns the full path of <paramref name="program"/>, installing <paramref name="aptPackage"/> if needed.</summary>
    public static async Task<string> RequireAsync(string program, string aptPackage, Action<string> report, CancellationToken cancellationToken)
    {
        if (Find(program) is { } found) return found;

        if (!CanInstallWithApt())
        {
            throw new MissingProgramException(
                $"{Path.GetFileName(program)} is not installed: run `sudo apt-get install -y {aptPackage}` (Debian/Ubuntu) and start again.");
        }

        await AptLock.WaitAsync(cancellationToken);
        try
        {
            if (Find(program) is { } installedMeanwhile) return installedMeanwhile;
            report($"{Path.GetFileName(program)} is missing: installing Debian package {aptPackage} …");
            if (await RunAptAsync(["install", "-y", "-q", "--no-install-recommends", aptPackage], cancellationToken) != 0)
            {
                // A fresh machine may have no package lists yet.
                await RunAptAsync(["update", "-q"], cancellationToken);
                await RunAptAsync(["install", "-y", "-q", "--no-install-recommends", aptPackage], cancellationToken);
            }
            return Find(program) ?? throw new MissingProgramException(
                $"Installing {aptPackage} did not provide {program}: install it by hand and start again.");
        }
        finally
        {
            AptLock.Release();
        }
    }

    public static string? Find(string program)
    {
        if (Path.IsPathRooted(program)) return File.Exists(program) ? program : null;
        var path = System.Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/sbin").Append("/sbin")
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);
    }

    private static bool CanInstallWithApt() =>
        OperatingSystem.IsLinux() && File.Exists("/etc/debian_version") && Find("apt-get") is not null
        && System.Environment.UserName == "root";

    private static async Task<int> RunAptAsync(string[] arguments, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("apt-get") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        info.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        await Task.WhenAll(output, error);
        return process.ExitCode;
    }
}
