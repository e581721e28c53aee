using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Spokes.AppHost.Suite;

/// <summary>
/// What a person at the terminal (or a script) needs from a start: a line per resource as it becomes healthy,
/// then one line with the Gateway's address, the dashboard's login link and the time it took. A resource that
/// fails to start stops the whole start with its last log lines, as a half-started suite helps nobody; one that
/// dies later is <see cref="CrashRecovery"/>'s.
/// </summary>
public sealed class StartupReport(
    SpokesSuite suite,
    DistributedApplicationModel model,
    ResourceNotificationService notifications,
    ResourceLogFiles logs,
    IHostApplicationLifetime lifetime,
    IConfiguration configuration)
{
    /// <summary>Aspire's name for the dashboard resource, which it adds only when the dashboard runs.</summary>
    private const string DashboardResource = "aspire-dashboard";

    private static readonly TimeSpan SinceProcessStart = DateTime.Now - Process.GetCurrentProcess().StartTime;

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var clock = Stopwatch.StartNew();
        Console.WriteLine($"Spokes AppHost: profile {suite.Profile.ToString().ToLowerInvariant()}, data {suite.DataFolder}");
        var healthy = new HashSet<string>();

        try
        {
            await foreach (var change in notifications.WatchAsync(stoppingToken))
            {
                var name = change.Resource.Name;
                // Read as it goes: Aspire adds the dashboard resource while it starts.
                var expected = model.Resources.Where(r => r is not ParameterResource && !r.IsHiddenHelper() && r.IsAwaitedAtStartup()).Select(r => r.Name).ToHashSet();
                if (!expected.Contains(name) || lifetime.ApplicationStopping.IsCancellationRequested) continue;
                var state = change.Snapshot.State?.Text;
                var elapsed = SinceProcessStart + clock.Elapsed;

                if (state == KnownResourceStates.Running && change.Snapshot.HealthStatus == HealthStatus.Healthy)
                {
                    if (healthy.Add(name))
                    {
                        var urls = string.Join(' ', change.Snapshot.Urls.Where(u => !u.IsInternal).Select(u => u.Url));
                        Console.WriteLine($"✓ {name,-14} healthy after {elapsed.TotalSeconds,5:F1} s  {urls}");
                    }
                }
                else if (KnownResourceStates.TerminalStates.Contains(state))
                {
                    var exit = change.Snapshot.ExitCode is { } code ? $"exited with code {code}" : state == KnownResourceStates.FailedToStart ? "failed to start" : "stopped";
                    var tail = string.Join(Environment.NewLine, logs.Tail(name).Where(l => !IsStackFrame(l)).TakeLast(15).Select(l => "    " + l));
                    Console.WriteLine($"✗ {name} {exit} while the suite was starting; its log is {logs.FileOf(name)}. Last lines:{Environment.NewLine}{tail}");
                    Environment.ExitCode = 1;
                    lifetime.StopApplication();
                    return;
                }

                if (healthy.IsSupersetOf(expected))
                {
                    var dashboard = expected.Contains(DashboardResource) ? $", dashboard {Dashboard.LoginUrl(configuration)}" : "";
                    Console.WriteLine($"Spokes is up in {elapsed.TotalSeconds:F1} s: {suite.PublicUrl} (gateway on 127.0.0.1:{suite.Options.Port}){dashboard}. Ctrl+C stops it.");
                    if (suite.Setup?.ReportLine(suite.PublicUrl) is { } setup) Console.WriteLine(setup);
                    // From here on CrashRecovery reports and restarts what dies.
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The AppHost is stopping.
        }
    }

    /// <summary>A line of a .NET stack trace (after the timestamp DCP puts first): the reason is in the lines around them.</summary>
    private static bool IsStackFrame(string line)
    {
        var text = line[(line.IndexOf(' ') + 1)..].TrimStart();
        return text.StartsWith("at ", StringComparison.Ordinal) || text.StartsWith("--- End of", StringComparison.Ordinal);
    }
}
