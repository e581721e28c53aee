using System.Globalization;

namespace Spokes.TestSupport;

/// <summary>The kernel's table of TCP sockets (Linux's /proc/net/tcp), read as an operator reads it with <c>ss</c>.</summary>
public static class SocketTable
{
    /// <summary>Established connections whose local end is <paramref name="port"/>: a server's side of each.</summary>
    public static int EstablishedTo(int port) =>
        new[] { "/proc/net/tcp", "/proc/net/tcp6" }.Where(File.Exists).SelectMany(File.ReadLines)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            // Column 3 is the state (01 = established); the header line's is "st".
            .Count(fields => fields.Length > 3 && fields[3] == "01"
                             && int.Parse(fields[1][(fields[1].LastIndexOf(':') + 1)..], NumberStyles.HexNumber) == port);
}
