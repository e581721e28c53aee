using System.Net;
using System.Net.Sockets;
using Spokes.Contracts.Tunnels;
using Spokes.TunnelEdge.Access;

namespace Spokes.TunnelEdge.Tunnels;

/// <summary>A public TCP port allocated to a tunnel: each visitor gets a data connection of the tunnel's current session.</summary>
public sealed class TcpPortListener : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly long _tunnelId;
    private readonly int _port;
    private readonly TunnelRegistry _registry;
    private readonly TrafficCounter _counter;
    private readonly AccessStore _access;
    private readonly ILogger<TcpPortListener> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _accepting;

    public TcpPortListener(IPEndPoint endPoint, long tunnelId, TunnelRegistry registry, TrafficMeter meter, AccessStore access,
        ILogger<TcpPortListener> logger)
    {
        _access = access;
        _tunnelId = tunnelId;
        _port = endPoint.Port;
        _registry = registry;
        _logger = logger;
        _counter = meter.Counter(tunnelId, TrafficMeter.TcpService(endPoint.Port));
        _listener = ListeningSocket.Open(endPoint);
        _accepting = AcceptAsync();
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket visitor;
            try
            {
                visitor = await _listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stopping.IsCancellationRequested) return;
                continue;
            }
            _ = ServeAsync(visitor);
        }
    }

    private async Task ServeAsync(Socket visitor)
    {
        visitor.NoDelay = true;
        if (!_access.For(_tunnelId).Admits((visitor.RemoteEndPoint as IPEndPoint)?.Address)
            || _registry.ForTunnel(_tunnelId) is not { } session || !session.TryAdmitVisitor())
        {
            visitor.Dispose();
            return;
        }
        try
        {
            await using var client = await session.OpenAsync(new Start(null, _port), session.Ended);
            await using var stream = new NetworkStream(visitor, ownsSocket: false);
            await StreamRelay.RunAsync(new RelayEnd(stream, visitor), client, _counter.Add, session.Ended);
        }
        catch (Exception e) when (e is TimeoutException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            _logger.LogDebug("A visitor of port {Port} was not served: {Reason}", _port, e.Message);
        }
        finally
        {
            session.VisitorLeft();
            visitor.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Dispose();
        await _accepting;
    }
}
