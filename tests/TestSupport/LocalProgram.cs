using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Spokes.AppHost.Local;

namespace Spokes.TestSupport;

/// <summary>
/// One program a test runs on this machine (a server, a built service), ready once its probe passes, and
/// started again on the same ports and data after a stop. Its output is kept for the failure message.
/// </summary>
public sealed class LocalProgram(string name, string owner, Func<ProcessSpec> spec, Func<CancellationToken, Task<HealthCheckResult>> probe,
    TimeSpan? startTimeout = null) : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _output = new();
    private ManagedProcess? _process;

    public string Name { get; } = name;

    public int? ProcessId => _process is { HasExited: false } process ? process.Id : null;

    public IReadOnlyList<string> Output => [.. _output];

    /// <summary>A built service (<c>dotnet NAME.dll</c>) with the settings the AppHost would give it, ready once <c>/health</c> answers.</summary>
    public static LocalProgram Service(string name, string projectName, int httpPort, Dictionary<string, string> environment, string owner)
    {
        var dll = BuildLayout.ProjectOutput(projectName);
        return new LocalProgram(name, owner,
            () => new ProcessSpec("dotnet", [dll]) { Environment = environment, WorkingDirectory = Path.GetDirectoryName(dll) },
            cancellationToken => ServerProbes.HttpAsync($"http://127.0.0.1:{httpPort}/health", cancellationToken));
    }

    public async Task StartAsync()
    {
        _process = ManagedProcess.Start(spec(), owner, line =>
        {
            _output.Enqueue(line);
            while (_output.Count > 200) _output.TryDequeue(out _);
        });
        var timeout = startTimeout ?? TimeSpan.FromSeconds(60);
        var clock = Stopwatch.StartNew();
        var result = HealthCheckResult.Unhealthy("not probed yet");
        while (clock.Elapsed < timeout && !_process.HasExited)
        {
            result = await probe(CancellationToken.None);
            if (result.Status == HealthStatus.Healthy) return;
            await Task.Delay(100);
        }
        var reason = _process.HasExited ? $"exited with code {await _process.Exited}" : $"not ready within {timeout.TotalSeconds:F0} s ({result.Description})";
        await StopAsync();
        throw new InvalidOperationException($"{Name} did not start: {reason}. Last lines:{Environment.NewLine}{string.Join(Environment.NewLine, _output.TakeLast(30))}");
    }

    public async Task StopAsync()
    {
        if (_process is not null) await _process.StopAsync(TimeSpan.FromSeconds(10));
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
