namespace Spokes.TunnelEdge.Tests;

/// <summary>
/// <see cref="QuietMemoryTrim"/> in the edge as it runs (under the JIT, or published ahead-of-time when
/// tests/run.sh points the harness at that build): startup is a burst, and once the edge is quiet its private
/// memory goes back to the system.
/// </summary>
public sealed class QuietMemoryTests
{
    [Fact]
    public async Task An_edge_that_goes_quiet_after_starting_hands_memory_back_to_the_system()
    {
        await using var edge = await EdgeHarness.StartAsync(environment: new()
        {
            ["Logging__LogLevel__Spokes.TunnelEdge.QuietMemoryTrim"] = "Debug",
        });
        var started = PrivateKilobytes(edge.EdgeProcessId);

        for (var waited = TimeSpan.Zero; !edge.Log.Contains("Quiet after") && waited < QuietMemoryTrim.Interval * 4; waited += TimeSpan.FromMilliseconds(200))
            await Task.Delay(200);

        Assert.Contains("Quiet after", edge.Log);
        var quiet = PrivateKilobytes(edge.EdgeProcessId);
        Assert.True(quiet < started, $"The edge held {started} KB of private memory once started and {quiet} KB once quiet.");
    }

    /// <summary>Resident memory that is the process's own (anonymous pages), from /proc.</summary>
    private static long PrivateKilobytes(int pid) =>
        long.Parse(File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("RssAnon:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
}
