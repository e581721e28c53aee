using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Spokes.TestSupport;

public sealed record ProcessSpec(string FileName, IReadOnlyList<string> Arguments)
{
    public Dictionary<string, string> Environment { get; init; } = [];

    public string? WorkingDirectory { get; init; }
}

/// <summary>
/// A process a test starts, in a process group of its own (started through <c>setsid</c>), so that stopping it
/// also stops whatever it spawned (RabbitMQ's beam, erl_child_setup …, or everything an AppHost started).
/// </summary>
public sealed partial class ManagedProcess
{
    private const int SigKill = 9;
    private const int SigTerm = 15;

    private readonly Process _process;
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ManagedProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public bool HasExited => _exited.Task.IsCompleted;

    public Task<int> Exited => _exited.Task;

    /// <summary>
    /// Marks a process as a test's in <c>/proc/PID/environ</c> (children inherit it), so the test command can find
    /// what a test left behind.
    /// </summary>
    public const string OwnerVariable = "SPOKES_APPHOST_DATA";

    public static ManagedProcess Start(ProcessSpec spec, string owner, Action<string> onLine)
    {
        var info = new ProcessStartInfo("setsid")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = spec.WorkingDirectory ?? System.Environment.CurrentDirectory,
        };
        info.ArgumentList.Add(spec.FileName);
        foreach (var argument in spec.Arguments) info.ArgumentList.Add(argument);
        foreach (var (key, value) in spec.Environment) info.Environment[key] = value;
        info.Environment[OwnerVariable] = owner;

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var managed = new ManagedProcess(process);
        var streamsOpen = 2;
        var streamsDrained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnData(object _, DataReceivedEventArgs e)
        {
            if (e.Data is not null) onLine(e.Data);
            else if (Interlocked.Decrement(ref streamsOpen) == 0) streamsDrained.TrySetResult();
        }
        process.OutputDataReceived += OnData;
        process.ErrorDataReceived += OnData;
        process.Exited += async (_, _) =>
        {
            // Report the exit once the output is drained, so the last log lines are never lost; a grandchild
            // that keeps the pipe open must not hold the report back for long.
            await Task.WhenAny(streamsDrained.Task, Task.Delay(TimeSpan.FromSeconds(2)));
            managed._exited.TrySetResult(process.ExitCode);
        };
        if (!process.Start()) throw new InvalidOperationException($"Could not start {spec.FileName}.");
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return managed;
    }

    /// <summary>SIGTERM to the whole group, then SIGKILL after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (HasExited) return;
        SignalGroup(Id, SigTerm);
        if (await Task.WhenAny(Exited, Task.Delay(grace)) != Exited)
        {
            SignalGroup(Id, SigKill);
        }
        // Members of the group may outlive its leader (a daemon it forked): make sure none is left.
        await Task.WhenAny(Exited, Task.Delay(TimeSpan.FromSeconds(5)));
        SignalGroup(Id, SigKill);
    }

    public static void SignalGroup(int processGroupId, int signal) => _ = Kill(-processGroupId, signal);

    /// <summary>A signal to one process (SIGSTOP 19 and SIGCONT 18 stall and resume it, as a stuck server would).</summary>
    public static void Signal(int processId, int signal) => _ = Kill(processId, signal);

    public static void KillGroup(int processGroupId) => SignalGroup(processGroupId, SigKill);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
