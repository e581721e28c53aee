using System.Collections.Concurrent;
using Spokes.TunnelEdge.Store;

namespace Spokes.TunnelEdge.Tunnels;

/// <summary>Bytes relayed for one service of one tunnel since the last flush.</summary>
public sealed class TrafficCounter
{
    private long _bytes;

    public void Add(long bytes) => Interlocked.Add(ref _bytes, bytes);

    public long Take() => Interlocked.Exchange(ref _bytes, 0);
}

/// <summary>
/// Bandwidth and uptime, counted in memory and written in one transaction every
/// <see cref="EdgeOptions.FlushInterval"/> (and before an admin listing, and at shutdown), so a busy relay
/// never waits for the database.
/// </summary>
public sealed class TrafficMeter(EdgeStore store, TunnelRegistry registry, EdgeOptions options, ILogger<TrafficMeter> logger) : BackgroundService
{
    public const string HttpService = "http";

    private readonly ConcurrentDictionary<(long Tunnel, string Service), TrafficCounter> _counters = new();
    private readonly ConcurrentDictionary<long, long> _pendingUptime = new();
    private readonly SemaphoreSlim _flushing = new(1, 1);

    public static string TcpService(int port) => $"tcp:{port}";

    public TrafficCounter Counter(long tunnelId, string service) => _counters.GetOrAdd((tunnelId, service), _ => new TrafficCounter());

    /// <summary>Keeps an ended session's last online seconds for the next flush (it is no longer among the registry's sessions).</summary>
    public void SessionEnded(long tunnelId, long uptimeSeconds) => KeepUptime(tunnelId, uptimeSeconds);

    private void KeepUptime(long tunnelId, long seconds) => _pendingUptime.AddOrUpdate(tunnelId, seconds, (_, pending) => pending + seconds);

    public async Task FlushAsync()
    {
        await _flushing.WaitAsync();
        try
        {
            var bytes = new Dictionary<(long, string), long>();
            foreach (var (key, counter) in _counters)
            {
                if (counter.Take() is > 0 and var taken) bytes[key] = taken;
            }
            var uptime = registry.Sessions.ToDictionary(s => s.TunnelId, s => s.TakeUptimeSeconds());
            foreach (var tunnel in _pendingUptime.Keys)
            {
                if (_pendingUptime.TryRemove(tunnel, out var seconds)) uptime[tunnel] = uptime.GetValueOrDefault(tunnel) + seconds;
            }
            try
            {
                await store.FlushAsync(bytes, uptime);
            }
            catch
            {
                // Keep what was counted for the next attempt: the bytes and the online seconds, which were taken too.
                foreach (var (key, count) in bytes) Counter(key.Item1, key.Item2).Add(count);
                foreach (var (tunnel, seconds) in uptime) KeepUptime(tunnel, seconds);
                throw;
            }
        }
        finally
        {
            _flushing.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.FlushInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await FlushAsync();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogError(e, "Writing bandwidth and uptime failed; they are kept for the next flush.");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync();
    }
}
