using System.Net;
using System.Net.Sockets;

namespace Spokes.TunnelEdge.Tunnels;

/// <summary>The edge's own listening sockets: the tunnel port, tunnels' TCP ports and localtunnel sessions' ports.</summary>
public static class ListeningSocket
{
    /// <summary>A socket listening on <paramref name="endPoint"/>; closed again when the port cannot be had.</summary>
    /// <exception cref="SocketException">The port is taken or not allowed.</exception>
    public static Socket Open(IPEndPoint endPoint, int backlog = 512)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // A restarted edge gets its ports back while its old connections linger in TIME_WAIT.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(endPoint);
            socket.Listen(backlog);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
