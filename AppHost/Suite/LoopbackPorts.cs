using System.Net;
using System.Net.Sockets;

namespace Spokes.AppHost.Suite;

public static class LoopbackPorts
{
    private const int LowestPort = 10000;

    /// <summary>
    /// A free loopback port below the kernel's ephemeral range: a port is handed out seconds before its server
    /// binds it, and one from the ephemeral range could meanwhile become the local end of an outgoing connection.
    /// </summary>
    public static int Free()
    {
        var ephemeralStart = EphemeralRangeStart();
        if (ephemeralStart > LowestPort + 1000)
        {
            for (var attempt = 0; attempt < 100; attempt++)
            {
                var port = Random.Shared.Next(LowestPort, ephemeralStart);
                if (IsFree(port)) return port;
            }
        }
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int EphemeralRangeStart()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 0;
        }
    }
}
