using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;

namespace Spokes.Contracts.Tunnels;

/// <summary>One side of a relay: its stream, and the socket under it for half-closing.</summary>
public sealed class RelayEnd(Stream stream, Socket socket)
{
    public Stream Stream { get; } = stream;

    /// <summary>
    /// Tells the peer "no more bytes from here" while still reading what it sends: a TLS close_notify and
    /// a TCP FIN, as a visitor that shuts down its write side expects to see passed along.
    /// </summary>
    public async Task CloseWriteAsync()
    {
        try
        {
            if (Stream is SslStream ssl) await ssl.ShutdownAsync();
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }
}

/// <summary>Copies bytes both ways between two connections until both directions ended, counting them.</summary>
public static class StreamRelay
{
    public const int BufferSize = 64 * 1024;

    /// <summary>
    /// Runs the relay; an end of stream on one side half-closes the other, an error ends both. Every byte
    /// moved, in either direction, is passed to <paramref name="count"/>.
    /// </summary>
    public static async Task RunAsync(RelayEnd first, RelayEnd second, Action<long> count, CancellationToken cancellationToken)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var forward = PumpAsync(first, second, count, failed);
        var backward = PumpAsync(second, first, count, failed);
        await Task.WhenAll(forward, backward);
    }

    private static async Task PumpAsync(RelayEnd from, RelayEnd to, Action<long> count, CancellationTokenSource failed)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (true)
            {
                var read = await from.Stream.ReadAsync(buffer, failed.Token);
                if (read == 0) break;
                await to.Stream.WriteAsync(buffer.AsMemory(0, read), failed.Token);
                count(read);
            }
            await to.CloseWriteAsync();
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException
                                      or InvalidOperationException)
        {
            // One direction broke: the other cannot finish either.
            await failed.CancelAsync();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
