using System.Net;
using System.Net.Sockets;

namespace Spokes.January.Tests;

/// <summary>A listener that only counts connections: a refused fetch must leave it at zero.</summary>
public sealed class CountingListener : IDisposable
{
    private readonly TcpListener _listener;
    private int _accepted;

    public CountingListener(IPAddress address)
    {
        _listener = new TcpListener(address, 0);
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Accepted => Volatile.Read(ref _accepted);

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                using var socket = await _listener.AcceptSocketAsync();
                Interlocked.Increment(ref _accepted);
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
        }
    }

    public void Dispose() => _listener.Stop();
}
