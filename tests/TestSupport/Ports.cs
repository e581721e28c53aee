using Spokes.AppHost.Suite;

namespace Spokes.TestSupport;

/// <summary>Loopback ports for the servers a test starts, chosen as the AppHost chooses its own.</summary>
public static class Ports
{
    public static int Free() => LoopbackPorts.Free();

    /// <summary>The first of <paramref name="count"/> consecutive free ports, for a server that binds a range.</summary>
    public static int FreeRange(int count) => LoopbackPorts.FreeRange(count);

    public static bool IsFree(int port) => LoopbackPorts.IsFree(port);
}
