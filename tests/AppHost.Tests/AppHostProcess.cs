using System.Collections.Concurrent;
using System.Diagnostics;
using Spokes.TestSupport;

namespace Spokes.AppHost.Tests;

/// <summary>
/// The real AppHost, started as a user starts it (its built program, with command-line options), its output kept
/// for assertions. Disposing stops it and waits for everything it started to be gone.
/// </summary>
public sealed class AppHostProcess : IAsyncDisposable
{
    private readonly ManagedProcess _process;
    private readonly ConcurrentQueue<string> _output = new();

    private AppHostProcess(IReadOnlyList<string> arguments, string workingDirectory, string owner, Dictionary<string, string> environment)
    {
        Owner = owner;
        _process = ManagedProcess.Start(
            new ProcessSpec("dotnet", [BuildLayout.ProjectOutput("AppHost", "Spokes.AppHost"), .. arguments])
            {
                WorkingDirectory = workingDirectory,
                Environment = environment,
            },
            owner,
            _output.Enqueue);
    }

    /// <summary>
    /// Starts the AppHost; <paramref name="owner"/> (the data folder, where there is one) marks it and, through the
    /// environment that DCP passes on, every process it starts, as it passes on <paramref name="environment"/>.
    /// </summary>
    public static AppHostProcess Start(IReadOnlyList<string> arguments, string? workingDirectory = null, string? owner = null,
        Dictionary<string, string>? environment = null) =>
        new(arguments, workingDirectory ?? Environment.CurrentDirectory, owner ?? workingDirectory ?? "apphost-test",
            new Dictionary<string, string> { [MasterPasswordVariable] = MasterPassword }.Concat(environment ?? [])
                .GroupBy(e => e.Key).ToDictionary(g => g.Key, g => g.Last().Value));

    public const string MasterPasswordVariable = "SPOKES_MASTER_PASSWORD";

    /// <summary>Given to every AppHost a test starts (unless the test gives its own), so none writes one into the user's secrets.</summary>
    public const string MasterPassword = "apphost tests master password";

    public string Owner { get; }

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

    /// <summary>SIGTERM to the AppHost, as a service manager (or Ctrl+C in a terminal) stops it.</summary>
    public void Terminate() => ManagedProcess.SignalGroup(Id, 15);

    /// <summary>SIGKILL to the AppHost alone: what a crash or an OOM kill does.</summary>
    public void Kill() => ManagedProcess.KillGroup(Id);

    public async ValueTask DisposeAsync()
    {
        await _process.StopAsync(TimeSpan.FromSeconds(30));
        await SuiteProcesses.WaitUntilGoneAsync(Owner, TimeSpan.FromSeconds(30));
    }
}
