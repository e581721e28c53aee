using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Spokes.AppHost.Hosting;

/// <summary>
/// Runs the topology: allocates ports, starts every resource as soon as its dependencies are healthy,
/// waits for its health, reports, and on Ctrl+C or SIGTERM stops everything in reverse dependency order.
/// </summary>
public sealed class Orchestrator(DistributedApplicationBuilder builder)
{
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Dictionary<string, TaskCompletionSource> _healthy = [];

    public async Task<int> RunAsync()
    {
        var options = builder.Options;
        var resources = builder.Resources.Values.Where(r => r.IsRunnable).ToList();
        Directory.CreateDirectory(options.DataFolder);
        using var folderLock = DataFolderLock.Acquire(options.DataFolder);
        using var logs = new ResourceLogs(options.DataFolder, resources);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnStopSignal);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnStopSignal);

        foreach (var leftover in PidFiles.StopLeftovers(options.DataFolder))
        {
            logs.Status($"Stopped {leftover}, left running by an earlier AppHost on this data folder.", ConsoleColor.DarkYellow);
        }

        var profile = builder.ContainerEngine is { } engine ? $"containers ({engine})" : "local";
        logs.Status($"Spokes AppHost: profile {profile}, data {options.DataFolder}");
        var clock = Stopwatch.StartNew();
        ResourceRunner.AllocatePorts(resources);
        var context = new RunContext(options.DataFolder, builder.Resources, logs.Write, builder.ContainerEngine);

        await using var dashboard = await DashboardServer.StartAsync(builder.Resources.Values, logs, options.DashboardPort);
        logs.Status($"Dashboard: {dashboard.Url}");

        foreach (var resource in resources) _healthy[resource.Name] = new(TaskCreationOptions.RunContinuationsAsynchronously);
        var starts = resources.Select(r => StartAsync(r, context, logs)).ToList();
        var exitCode = 0;
        try
        {
            await Task.WhenAll(starts).ContinueWith(_ => { }, TaskScheduler.Default);
            var failure = starts.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException).OfType<StartFailedException>().FirstOrDefault();
            if (failure is not null)
            {
                exitCode = 1;
                logs.Status(failure.Message, ConsoleColor.Red);
            }
            else if (!_shutdown.IsCancellationRequested)
            {
                var gateway = resources.SelectMany(r => r.Endpoints).FirstOrDefault(e => e.External);
                logs.Status($"Spokes is up in {clock.Elapsed.TotalSeconds:F1} s: {options.EffectivePublicUrl}" +
                            (gateway is null ? "" : $" (gateway on 127.0.0.1:{gateway.Port})") +
                            $", dashboard {dashboard.Url}. Ctrl+C stops it.", ConsoleColor.Green);
                await WatchAsync(resources, logs);
            }
        }
        finally
        {
            await _shutdown.CancelAsync();
            logs.Status("Stopping …");
            await StopAllAsync(resources);
            logs.Status("Stopped.");
        }
        return exitCode;
    }

    private void OnStopSignal(PosixSignalContext signal)
    {
        signal.Cancel = true;
        _shutdown.Cancel();
    }

    private async Task StartAsync(Resource resource, RunContext context, ResourceLogs logs)
    {
        try
        {
            await StartAndProbeAsync(resource, context, logs, _shutdown.Token);
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            resource.SetState(ResourceState.Failed, e.Message);
            // The first failure stops the whole start-up.
            await _shutdown.CancelAsync();
            if (e is StartFailedException) throw;
            throw new StartFailedException(e is MissingProgramException ? e.Message : $"{resource.Name} could not start: {e.Message}");
        }
    }

    private async Task StartAndProbeAsync(Resource resource, RunContext context, ResourceLogs logs, CancellationToken token)
    {
        await Task.WhenAll(resource.Dependencies.Select(d => _healthy[d.Name].Task)).WaitAsync(token);
        var started = Stopwatch.StartNew();
        var result = await ResourceRunner.StartAsync(resource, context, token);
        if (!result.Healthy)
        {
            var tail = string.Join(Environment.NewLine, resource.Logs.Tail(15).Select(l => "    " + l));
            throw new StartFailedException(
                $"{resource.Name} did not become healthy ({result.Description}) within {resource.StartTimeout.TotalSeconds:F0} s; " +
                $"its log is {logs.FileOf(resource)}. Last lines:{Environment.NewLine}{tail}");
        }

        var endpoints = string.Join(" ", resource.Snapshot().Endpoints);
        logs.Status($"✓ {resource.Name,-14} healthy after {started.Elapsed.TotalSeconds,5:F1} s  {endpoints}", ConsoleColor.Green);
        _healthy[resource.Name].TrySetResult();
    }

    /// <summary>While running, a process that exits on its own is reported; the rest keeps running.</summary>
    private async Task WatchAsync(IReadOnlyList<Resource> resources, ResourceLogs logs)
    {
        var exits = resources.OfType<ProcessResource>()
            .Select(async r =>
            {
                var code = await r.Exited!.WaitAsync(_shutdown.Token);
                r.SetState(ResourceState.Failed, $"exited with code {code}");
                logs.Status($"✗ {r.Name} exited with code {code}; see {logs.FileOf(r)}", ConsoleColor.Red);
            });
        try
        {
            await Task.WhenAll(exits.Append(Task.Delay(Timeout.Infinite, _shutdown.Token)));
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C or SIGTERM.
        }
    }

    /// <summary>Dependents first: a service stops before the Redis it writes to.</summary>
    private static async Task StopAllAsync(IReadOnlyList<Resource> resources)
    {
        var remaining = resources.ToHashSet();
        while (remaining.Count > 0)
        {
            var ready = remaining.Where(r => !remaining.Any(other => other.Dependencies.Contains(r))).ToList();
            if (ready.Count == 0) ready = remaining.ToList();
            await Task.WhenAll(ready.Select(async r =>
            {
                r.SetState(ResourceState.Stopping);
                await r.StopAsync(StopGrace);
                r.SetState(ResourceState.Stopped);
            }));
            remaining.ExceptWith(ready);
        }
    }
}

public sealed class StartFailedException(string message) : Exception(message);

/// <summary>One AppHost per data folder: two would share Redis files and RabbitMQ's database.</summary>
public sealed class DataFolderLock : IDisposable
{
    private readonly FileStream _stream;

    private DataFolderLock(FileStream stream) => _stream = stream;

    public static DataFolderLock Acquire(string dataFolder)
    {
        var path = Path.Combine(dataFolder, "apphost.lock");
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            stream.SetLength(0);
            using (var writer = new StreamWriter(stream, leaveOpen: true)) writer.Write(Environment.ProcessId);
            return new DataFolderLock(stream);
        }
        catch (IOException)
        {
            throw new StartFailedException($"Another AppHost is running on {dataFolder}: stop it, or use another --data folder.");
        }
    }

    public void Dispose() => _stream.Dispose();
}
