using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;

namespace Spokes.Contracts.Tunnels;

/// <summary>
/// One side of a relay: its stream, and how to half-close it: through the socket under it, or the stream's own way
/// (a multiplexed stream, an SSH channel).
/// </summary>
public sealed class RelayEnd : IAsyncDisposable
{
    private readonly Socket? _socket;
    private readonly Func<Task>? _closeWrite;

    /// <param name="socket">The socket under the stream; none under a multiplexed stream, which half-closes itself.</param>
    public RelayEnd(Stream stream, Socket? socket)
    {
        Stream = stream;
        _socket = socket;
    }

    private RelayEnd(Stream stream, Func<Task> closeWrite)
    {
        Stream = stream;
        _closeWrite = closeWrite;
    }

    /// <summary>An end whose stream has no socket of its own and half-closes by <paramref name="closeWrite"/> (an SSH channel's EOF).</summary>
    public static RelayEnd ClosingBy(Stream stream, Func<Task> closeWrite) => new(stream, closeWrite);

    public Stream Stream { get; }

    public async ValueTask DisposeAsync()
    {
        await Stream.DisposeAsync();
        _socket?.Dispose();
    }

    /// <summary>
    /// Tells the peer "no more bytes from here" while still reading what it sends: a TLS close_notify and
    /// a TCP FIN, as a visitor that shuts down its write side expects to see passed along.
    /// </summary>
    public async Task CloseWriteAsync()
    {
        try
        {
            if (_closeWrite is not null)
            {
                await _closeWrite();
                return;
            }
            if (Stream is MuxStream mux)
            {
                await mux.CloseWriteAsync();
                return;
            }
            if (Stream is SslStream ssl) await ssl.ShutdownAsync();
            _socket?.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }
}

/// <summary>Copies bytes both ways between two connections until both directions ended, counting them.</summary>
public static class StreamRelay
{
    /// <summary>The buffer of a direction that has been quiet: small, as most relays carry small exchanges.</summary>
    public const int MinBufferSize = 16 * 1024;

    /// <summary>
    /// The buffer a bulk transfer grows to. Measured on loopback through two relays (edge and client): 64 KiB
    /// moved about half of what 256 KiB does, and larger buffers gained nothing more.
    /// </summary>
    public const int MaxBufferSize = 256 * 1024;

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

    /// <summary>
    /// One direction. A read that fills the buffer means more is coming: the next buffer is twice as large (up to
    /// <see cref="MaxBufferSize"/>) and is read at once; a small read shrinks it again. After a read that did not
    /// fill it, the direction waits for data with a zero-byte read, holding no buffer, so idle relays
    /// (keep-alive, WebSockets) cost no buffer memory.
    /// </summary>
    private static async Task PumpAsync(RelayEnd from, RelayEnd to, Action<long> count, CancellationTokenSource failed)
    {
        var size = MinBufferSize;
        var dataPending = false;
        try
        {
            while (true)
            {
#pragma warning disable CA2022 // A zero-byte read only waits until data is there; it reads nothing.
                if (!dataPending) await from.Stream.ReadAsync(Memory<byte>.Empty, failed.Token);
#pragma warning restore CA2022
                var buffer = ArrayPool<byte>.Shared.Rent(size);
                int read;
                try
                {
                    read = await from.Stream.ReadAsync(buffer.AsMemory(0, size), failed.Token);
                    if (read > 0) await to.Stream.WriteAsync(buffer.AsMemory(0, read), failed.Token);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
                if (read == 0) break;
                count(read);
                dataPending = read == size;
                size = dataPending ? Math.Min(size * 2, MaxBufferSize) : read < MinBufferSize ? MinBufferSize : size;
            }
            await to.CloseWriteAsync();
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException
                                      or InvalidOperationException)
        {
            // One direction broke: the other cannot finish either.
            await failed.CancelAsync();
        }
    }
}
