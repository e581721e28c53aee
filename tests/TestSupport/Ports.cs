using Spokes.AppHost.Suite;

namespace Spokes.TestSupport;

/// <summary>Loopback ports for the servers a test starts, chosen as the AppHost chooses its own.</summary>
public static class Ports
{
    public static int Free() => LoopbackPorts.Free();

    public static bool IsFree(int port) => LoopbackPorts.IsFree(port);
}
