namespace Spokes.TunnelEdge;

/// <summary>
/// Gives memory back to the system once the edge goes quiet after a burst (startup, tunnels connecting, a wave
/// of visitors). The GC sizes its youngest generation for the burst, and an edge that then only holds idle
/// sockets allocates too little to collect again: without this, that memory stays resident for good (at
/// startup, 10 of the ahead-of-time edge's 23 MB of private memory). One compacting collection, only when
/// quiet, returns it; under steady traffic the GC is left alone.
/// </summary>
public sealed class QuietMemoryTrim(ILogger<QuietMemoryTrim> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <summary>Allocated within one <see cref="Interval"/>: below this the edge is quiet.</summary>
    public const long QuietBytes = 1 << 20;

    /// <summary>Allocated since the last trim: above this the youngest generation has likely grown.</summary>
    public const long BurstBytes = 2 << 20;

    /// <summary>Whether a burst of <paramref name="allocatedSinceTrim"/> bytes has ended (the last interval was quiet).</summary>
    public static bool ShouldTrim(long allocatedSinceTrim, long allocatedThisInterval) =>
        allocatedSinceTrim >= BurstBytes && allocatedThisInterval < QuietBytes;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        var atTrim = 0L;
        var atTick = GC.GetTotalAllocatedBytes();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = GC.GetTotalAllocatedBytes();
                if (ShouldTrim(now - atTrim, now - atTick))
                {
                    GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                    var heap = GC.GetGCMemoryInfo();
                    logger.LogDebug("Quiet after {Allocated} MB allocated: collected, the managed heap holds {Committed} MB.",
                        (now - atTrim) >> 20, heap.TotalCommittedBytes >> 20);
                    atTrim = now = GC.GetTotalAllocatedBytes();
                }
                atTick = now;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
