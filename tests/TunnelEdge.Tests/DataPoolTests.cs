using System.Net;
using System.Net.Sockets;
using Spokes.TestSupport;

namespace Spokes.TunnelEdge.Tests;

/// <summary>
/// `tunOptions.idlePoolSize` and `poolIdleTimeout`: an idle tunnel holds its control connection and the idle
/// size of data connections; the client replaces each data connection a visitor takes, so traffic grows the
/// pool, and the surplus is closed once unused. Connections are counted from the kernel's table. The same holds for
/// multiplexed data connections (a visitor's stream needs one) and for one each per visitor (<c>multiplex: false</c>).
/// </summary>
public sealed class DataPoolTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_tunnel_holds_its_idle_pool_size_and_the_surplus_a_visitor_leaves_is_closed_once_unused(bool multiplex)
    {
        await using var local = await LocalServices.StartAsync();
        await using var edge = await EdgeHarness.StartAsync(new Dictionary<string, object>
        {
            ["tunOptions"] = new { maxPoolSize = 4, idlePoolSize = 0, poolIdleTimeout = "00:00:02", maxPorts = 3, maxConnections = 64, multiplex },
        });
        var port = 0;
        await edge.StartClientAsync("pool", "pool", async client =>
        {
            port = int.Parse((await edge.TunnelAsync(client, "tunnel", "tcp", "allocate")).AssertSuccess().Output.Split(' ')[1]);
            (await edge.TunnelAsync(client, "tunnel", "tcp", "forward", "--port", port.ToString(), "--dstport", local.EchoPort.ToString())).AssertSuccess();
        });

        // With an idle size of 0, only the control connection: a visitor's data connection is asked for.
        await WaitForTunnelConnectionsAsync(edge.TunnelPort, 1);
        using (await VisitAsync(port))
        {
        }
        // The client replaced the connection the visitor took (multiplexed: the one asked for stays): one more than the idle size ...
        await WaitForTunnelConnectionsAsync(edge.TunnelPort, 2);
        // ... until it sat unused for poolIdleTimeout.
        await WaitForTunnelConnectionsAsync(edge.TunnelPort, 1);
        using var again = await VisitAsync(port);
    }

    /// <summary>A visitor connection through the tunnel's port that echoed one byte, left open.</summary>
    private static async Task<Socket> VisitAsync(int port)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port);
        await socket.SendAsync(new byte[] { 42 });
        var echoed = new byte[1];
        Assert.Equal(1, await socket.ReceiveAsync(echoed));
        Assert.Equal(42, echoed[0]);
        return socket;
    }

    private static async Task WaitForTunnelConnectionsAsync(int tunnelPort, int expected)
    {
        for (var attempt = 0; attempt < 150 && SocketTable.EstablishedTo(tunnelPort) != expected; attempt++) await Task.Delay(100);
        Assert.Equal(expected, SocketTable.EstablishedTo(tunnelPort));
    }
}
