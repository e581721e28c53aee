using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Spokes.AppHost.Suite;

/// <summary>
/// Starts again a program or container that died (redis-server, RabbitMQ, a service), as Kubernetes restarts a pod: on a
/// machine run by the AppHost nothing else would, and a Redis killed by the OOM killer would stay gone. Only a
/// resource that was running and ended on its own: one stopped from the dashboard passes through Stopping and is
/// left stopped. The wait doubles from 1 s to 30 s while a resource keeps dying, and starts over once it is healthy.
/// </summary>
public sealed class CrashRecovery(ResourceNotificationService notifications, ResourceCommandService commands, ResourceLoggerService logs)
{
    private static readonly TimeSpan FirstWait = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LongestWait = TimeSpan.FromSeconds(30);

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var lastState = new Dictionary<string, string?>();
        var waits = new Dictionary<string, TimeSpan>();
        try
        {
            await foreach (var change in notifications.WatchAsync(stoppingToken))
            {
                var resource = change.Resource;
                if (resource is not (ExecutableResource or ProjectResource or ContainerResource) || resource.IsHiddenHelper()) continue;
                var state = change.Snapshot.State?.Text;
                var previous = lastState.GetValueOrDefault(resource.Name);
                lastState[resource.Name] = state;

                if (change.Snapshot.HealthStatus == HealthStatus.Healthy) waits.Remove(resource.Name);
                if (previous != KnownResourceStates.Running || !KnownResourceStates.TerminalStates.Contains(state)) continue;

                var wait = waits.GetValueOrDefault(resource.Name, FirstWait);
                waits[resource.Name] = wait * 2 < LongestWait ? wait * 2 : LongestWait;
                var exit = change.Snapshot.ExitCode is { } code ? $"exited with code {code}" : "ended";
                Console.WriteLine($"↻ {resource.Name} {exit}; starting it again in {wait.TotalSeconds:F0} s");
                logs.GetLogger(resource).LogWarning("{Resource} {Exit}; the AppHost starts it again in {Wait} s", resource.Name, exit, wait.TotalSeconds);
                _ = StartAgainAsync(resource, wait, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The AppHost is stopping.
        }
    }

    private async Task StartAgainAsync(IResource resource, TimeSpan wait, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(wait, stoppingToken);
            var result = await commands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand, stoppingToken);
            if (!result.Success) Console.WriteLine($"✗ {resource.Name} could not be started again: {result.Message}");
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The AppHost is stopping: nothing to start again.
        }
    }
}
