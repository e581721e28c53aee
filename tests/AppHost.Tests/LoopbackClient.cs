using System.Net;
using System.Net.Sockets;

namespace Spokes.AppHost.Tests;

/// <summary>
/// An HTTP client whose connections come from a loopback address of its own choosing (all of 127.0.0.0/8 is this
/// machine): what a server keys on the client's address (a rate limit) is then this client's alone.
/// </summary>
public static class LoopbackClient
{
    public static HttpClient From(IPAddress source, Uri baseAddress)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }
}
