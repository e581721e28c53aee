using System.Net.Sockets;
using Spokes.Contracts.Tunnels;

namespace Spokes.TunnelEdge.Tunnels;

/// <summary>
/// One pooled connection from a client: idle until a visitor needs it, then carries that visitor's bytes only.
/// Its stream is TLS, or the socket's own stream where the edge allows plaintext data connections; or a stream
/// with no socket of its own (an SSH channel) that half-closes its own way.
/// </summary>
public sealed class DataConnection : IAsyncDisposable
{
    private readonly Func<Task>? _closeWrite;

    public DataConnection(Socket socket, Stream stream)
    {
        Socket = socket;
        Stream = stream;
    }

    public DataConnection(Stream stream, Func<Task> closeWrite)
    {
        Stream = stream;
        _closeWrite = closeWrite;
    }

    /// <summary>The connection's socket; null for a stream carried inside another connection.</summary>
    public Socket? Socket { get; }

    public Stream Stream { get; }

    public RelayEnd AsRelayEnd() => Socket is not null ? new(Stream, Socket) : new(Stream, _closeWrite!);

    public async ValueTask DisposeAsync()
    {
        await Stream.DisposeAsync();
        Socket?.Dispose();
    }
}

/// <summary>A data connection as a stream that counts every byte read and written (HTTP through the tunnel).</summary>
public sealed class CountingStream(DataConnection connection, TrafficCounter counter) : Stream
{
    private readonly Stream _inner = connection.Stream;

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await _inner.ReadAsync(buffer, cancellationToken);
        counter.Add(read);
        return read;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _inner.WriteAsync(buffer, cancellationToken);
        counter.Add(buffer.Length);
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = _inner.Read(buffer, offset, count);
        counter.Add(read);
        return read;
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        _inner.Write(buffer, offset, count);
        counter.Add(count);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => _inner.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) connection.DisposeAsync().AsTask().GetAwaiter().GetResult();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await connection.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
