using Spokes.AppHost.Suite;

namespace Spokes.AppHost.Tests;

public class LoopbackPortsTests
{
    [Fact]
    public void A_port_handed_out_is_claimed_machine_wide_and_never_handed_out_again()
    {
        var range = LoopbackPorts.FreeRange(20);
        var singles = Enumerable.Range(0, 500).Select(_ => LoopbackPorts.Free()).ToList();

        var all = Enumerable.Range(range, 20).Concat(singles).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        // Another process opening a claim as the chooser does is refused, as this open is.
        Assert.All(all, port => Assert.Throws<IOException>(() =>
            new FileStream(LoopbackPorts.ClaimFile(port), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None)));
    }
}
