using Spokes.TunnelEdge.Store;
using Spokes.TunnelEdge.Tunnels;

namespace Spokes.TunnelEdge.Admin;

/// <summary>
/// <c>spokes clean</c>'s work, also run every <see cref="EdgeOptions.HousekeepingInterval"/>: tunnels whose
/// token was removed are deleted (their names released) and ports of gone or shut-down tunnels are freed.
/// </summary>
public sealed class Housekeeping(EdgeStore store, TunnelRegistry registry, EdgeOptions options, ILogger<Housekeeping> logger) : BackgroundService
{
    public async Task<List<CleanIssue>> CleanAsync(bool check)
    {
        var issues = await store.CleanAsync(check);
        if (!check)
        {
            // A deleted tunnel must not keep serving (it cannot be online: its token is inactive; this is a belt for a race).
            foreach (var tunnel in issues.Where(i => i.Kind == "tunnel")) await registry.ShutDownAsync(long.Parse(tunnel.Subject), "The tunnel was deleted.");
            foreach (var issue in issues) logger.LogInformation("Housekeeping fixed {Kind} {Subject}: {Reason}.", issue.Kind, issue.Subject, issue.Reason);
        }
        return issues;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.HousekeepingInterval);
        try
        {
            do
            {
                try
                {
                    var issues = await CleanAsync(check: false);
                    logger.LogInformation("Housekeeping: {Count} issue(s) fixed (tunnels + ports).", issues.Count);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogError(e, "Housekeeping failed; it runs again in {Interval}.", options.HousekeepingInterval);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
        }
    }
}
