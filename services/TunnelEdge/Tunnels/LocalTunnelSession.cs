using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Spokes.Contracts.Tunnels;

namespace Spokes.TunnelEdge.Tunnels;

/// <summary>
/// A session of an npm <c>localtunnel</c> client (<c>lt --host https://EDGE/localtunnel/TOKEN</c>). Its protocol
/// has no control connection: the client keeps <c>max_conn_count</c> raw TCP connections open to a port of the
/// edge's range, pipes whatever arrives on one to its local HTTP server, and dials again for each that closes.
/// So the pool is never trimmed, a dry pool waits for a redial, and the session lasts while the client holds
/// connections. Only the address that asked for the session may connect to its port.
/// </summary>
public sealed class LocalTunnelSession : PooledTunnelSession
{
    /// <summary>How long a session may hold no connection (a client restarting its sockets) before it is offline.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);

    private readonly Socket _listener;
    // Every connection the client has open here; true once a visitor took it.
    private readonly ConcurrentDictionary<DataConnection, bool> _connections = new();

    public LocalTunnelSession(long tunnelId, string hostname, IPEndPoint remote, Socket listener, EdgeOptions options, TrafficMeter meter, ILogger logger)
        : base(tunnelId, hostname, remote, [hostname], new HashSet<int>(), options.TunOptions.MaxPoolSize, options, meter, logger)
    {
        _listener = listener;
        Port = ((IPEndPoint)listener.LocalEndPoint!).Port;
    }

    /// <summary>The port the client connects its sockets to.</summary>
    public int Port { get; }

    protected override async Task ServeClientAsync()
    {
        var accepting = AcceptAsync();
        var lastHeld = Stopwatch.GetTimestamp();
        try
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            while (await timer.WaitForNextTickAsync(Ended))
            {
                await SweepAsync();
                if (!_connections.IsEmpty) lastHeld = Stopwatch.GetTimestamp();
                else if (Stopwatch.GetElapsedTime(lastHeld) > Grace) return;
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _listener.Dispose();
            await accepting;
        }
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(Ended);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            var address = ((IPEndPoint)socket.RemoteEndPoint!).Address;
            if (!Unmapped(address).Equals(Unmapped(Remote.Address)))
            {
                Logger.LogWarning("Tunnel {TunnelId}: {Address} connected to its localtunnel port; only {Client} may.", TunnelId, address, Remote.Address);
                socket.Dispose();
                continue;
            }
            socket.NoDelay = true;
            var connection = new DataConnection(socket, new NetworkStream(socket, ownsSocket: true));
            _connections[connection] = false;
            await OfferAsync(connection);
        }
    }

    /// <summary>An IPv4 address as itself, also where a dual-stack listener saw it as <c>::ffff:a.b.c.d</c>.</summary>
    private static IPAddress Unmapped(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>Forgets closed connections: those a visitor finished with, and pooled ones the client closed.</summary>
    private async Task SweepAsync()
    {
        foreach (var (connection, taken) in _connections)
        {
            if (connection.Socket!.SafeHandle.IsClosed || !taken && PeerClosed(connection.Socket))
            {
                _connections.TryRemove(connection, out _);
                await connection.DisposeAsync();
            }
        }
    }

    /// <summary>Readable with nothing to read: the peer closed it (the client never writes first).</summary>
    private static bool PeerClosed(Socket socket)
    {
        try
        {
            return socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    /// <summary>Nothing is said first: the visitor's request itself is the first byte the client sees.</summary>
    protected override Task HandOverAsync(DataConnection connection, Start start, CancellationToken cancellationToken)
    {
        if (!_connections.TryUpdate(connection, true, false) || PeerClosed(connection.Socket!))
            throw new IOException("The localtunnel client closed this connection while it was pooled.");
        return Task.CompletedTask;
    }

    protected override async ValueTask DisposeFrontEndAsync()
    {
        _listener.Dispose();
        foreach (var connection in _connections.Keys) await connection.DisposeAsync();
        _connections.Clear();
    }
}
