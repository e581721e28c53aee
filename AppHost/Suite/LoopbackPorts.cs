using System.Net;
using System.Net.Sockets;

namespace Spokes.AppHost.Suite;

public static class LoopbackPorts
{
    private const int LowestPort = 10000;

    private static readonly string ClaimFolder = Path.Combine(Path.GetTempPath(), $"spokes-ports-{Environment.UserName}");

    /// <summary>This process's claims, held open until it exits; the kernel drops them should it die.</summary>
    private static readonly List<FileStream> Claims = [];

    /// <summary>
    /// A free loopback port below the kernel's ephemeral range: a port is handed out seconds before its server
    /// binds it, and one from the ephemeral range could meanwhile become the local end of an outgoing connection.
    /// </summary>
    public static int Free() => FreeRange(1);

    /// <summary>
    /// The first of <paramref name="count"/> consecutive free loopback ports, claimed machine-wide: each is a lock
    /// file (<c>flock</c>) this process holds, so no other process choosing ports here hands out the same one before
    /// its server binds it, nor any port twice. Test processes running side by side each choose dozens.
    /// </summary>
    public static int FreeRange(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Directory.CreateDirectory(ClaimFolder);
        var ephemeralStart = EphemeralRangeStart();
        if (ephemeralStart > LowestPort + 1000 + count)
        {
            for (var attempt = 0; attempt < 1000; attempt++)
            {
                var first = Random.Shared.Next(LowestPort, ephemeralStart - count + 1);
                if (TryClaim(first, count)) return first;
            }
        }
        for (var attempt = 0; attempt < 100; attempt++)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var first = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            if (first + count <= IPEndPoint.MaxPort + 1 && TryClaim(first, count)) return first;
        }
        throw new InvalidOperationException($"No {count} consecutive free loopback port(s) could be claimed.");
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

    /// <summary>The lock file that claims <paramref name="port"/> while a process holds it open.</summary>
    public static string ClaimFile(int port) => Path.Combine(ClaimFolder, $"{port}.lock");

    private static bool TryClaim(int first, int count)
    {
        var claims = new List<FileStream>(count);
        for (var port = first; port < first + count; port++)
        {
            if (!IsFree(port) || TryClaimFile(port) is not { } claim)
            {
                foreach (var taken in claims) taken.Dispose();
                return false;
            }
            claims.Add(claim);
        }
        lock (Claims) Claims.AddRange(claims);
        return true;
    }

    private static FileStream? TryClaimFile(int port)
    {
        try
        {
            return new FileStream(ClaimFile(port), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
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
