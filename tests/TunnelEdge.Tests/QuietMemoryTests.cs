using Spokes.TestSupport;

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
        var started = ProcessMemory.Of(edge.EdgeProcessId).Anonymous;

        await edge.WaitForLogAsync("Quiet after", QuietMemoryTrim.Interval * 4);
        Assert.Contains("Quiet after", edge.Log);
        var quiet = ProcessMemory.Of(edge.EdgeProcessId).Anonymous;
        Assert.True(quiet < started, $"The edge held {started} bytes of anonymous memory once started and {quiet} bytes once quiet.");
    }
}
