using System.Collections.Concurrent;
using System.Diagnostics;
using Spokes.AppHost.Hosting;

namespace Spokes.AppHost.Tests;

/// <summary>
/// The real AppHost, started as a user starts it (its built program, with command-line options), its
/// output kept for assertions. Disposing kills it and anything it left on its data folder.
/// </summary>
public sealed class AppHostProcess : IAsyncDisposable
{
    private readonly ManagedProcess _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly string? _dataFolder;

    private AppHostProcess(IReadOnlyList<string> arguments, string workingDirectory)
    {
        var index = arguments.ToList().IndexOf("--data");
        _dataFolder = index >= 0 ? arguments[index + 1] : null;
        _process = ManagedProcess.Start(
            new ProcessSpec("dotnet", [BuildLayout.ProjectOutput("Spokes.AppHost"), .. arguments]) { WorkingDirectory = workingDirectory },
            owner: "apphost-test",
            _output.Enqueue);
    }

    public static AppHostProcess Start(IReadOnlyList<string> arguments, string? workingDirectory = null) =>
        new(arguments, workingDirectory ?? Environment.CurrentDirectory);

    public int Id => _process.Id;

    public string Output => string.Join(Environment.NewLine, _output);

    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (_output.FirstOrDefault(match) is { } line) return line;
            if (_process.HasExited) break;
            await Task.Delay(100);
        }
        throw new TimeoutException($"The AppHost did not print the expected line within {timeout.TotalSeconds:F0} s. Output:{Environment.NewLine}{Output}");
    }

    public Task<int> WaitForExitAsync(TimeSpan timeout) => _process.Exited.WaitAsync(timeout);

    /// <summary>SIGTERM to the AppHost alone (its children live in process groups of their own).</summary>
    public void Terminate() => ManagedProcess.SignalGroup(Id, 15);

    /// <summary>SIGKILL to the AppHost alone: what a crash or an OOM kill does.</summary>
    public void Kill() => ManagedProcess.KillGroup(Id);

    public async ValueTask DisposeAsync()
    {
        await _process.StopAsync(TimeSpan.FromSeconds(20));
        if (_dataFolder is not null) PidFiles.StopLeftovers(_dataFolder);
    }

    /// <summary>
    /// Every live process of <paramref name="dataFolder"/>: marked with it in its environment (services), or
    /// working inside it (servers, whose environment may be overwritten by their process title).
    /// </summary>
    public static IReadOnlyList<string> ProcessesOf(string dataFolder)
    {
        var found = new List<string>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var environment = File.ReadAllText(Path.Combine(dir, "environ")).Split('\0');
                var workingDirectory = new DirectoryInfo(Path.Combine(dir, "cwd")).LinkTarget ?? "";
                if (environment.Contains($"{ManagedProcess.OwnerVariable}={dataFolder}")
                    || workingDirectory.StartsWith(dataFolder + "/", StringComparison.Ordinal))
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
}
