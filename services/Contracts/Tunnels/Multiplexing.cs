using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;

namespace Spokes.Contracts.Tunnels;

/// <summary>
/// Many visitor streams over one long-lived data connection (yamux's shape, much reduced), so a visitor costs the
/// client no TLS handshake. A frame is a 12-byte header (version 0, type, flags, stream id, length) and, for data,
/// its payload. Only the edge opens streams (odd ids); the first data frame of a stream carries <see cref="Syn"/>.
/// Flow control is per stream and by credit: a sender may have at most <see cref="Window"/> bytes the receiver has
/// not read yet, and the receiver returns credit as it reads. So the frame reader never waits for a slow
/// stream's reader, and one bulk visitor cannot hold up the others: writers take turns frame by frame.
/// </summary>
public sealed class MuxConnection : IAsyncDisposable
{
    public const int HeaderSize = 12;

    /// <summary>A frame's largest payload: header and payload fill one TLS record (16 KiB).</summary>
    public const int MaxPayload = 16 * 1024 - HeaderSize;

    /// <summary>Unread bytes a stream may have in flight; as large as a relay's largest buffer (<see cref="StreamRelay.MaxBufferSize"/>).</summary>
    public const int Window = 256 * 1024;

    internal const byte DataFrame = 0;
    internal const byte WindowUpdateFrame = 1;
    internal const ushort Syn = 1;
    internal const ushort Fin = 4;
    internal const ushort Rst = 8;

    private readonly Stream _transport;
    private readonly Func<MuxStream, Task>? _accept;
    private readonly ConcurrentDictionary<uint, MuxStream> _streams = new();
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly byte[] _writeBuffer = new byte[HeaderSize + MaxPayload];
    private readonly CancellationTokenSource _closed = new();
    private readonly Task _reading;
    private int _nextId = 1;

    /// <param name="transport">The data connection (TLS, or plaintext where allowed); owned from now on.</param>
    /// <param name="accept">On the client: runs each stream the edge opens. Null on the edge, which opens them.</param>
    public MuxConnection(Stream transport, Func<MuxStream, Task>? accept)
    {
        _transport = transport;
        _accept = accept;
        _reading = ReadFramesAsync();
    }

    /// <summary>Streams open now (the pool gives a new stream to the connection with the fewest).</summary>
    public int StreamCount => _streams.Count;

    public bool IsClosed => _closed.IsCancellationRequested;

    /// <summary>Completes when the connection has closed (either side, or broken); every stream of it is reset then.</summary>
    public Task Completion => _reading;

    /// <summary>Opens a stream (edge side). No frame is sent before the first write, which carries the open flag.</summary>
    /// <exception cref="IOException">The connection is closed.</exception>
    public MuxStream Open()
    {
        var id = (uint)Interlocked.Add(ref _nextId, 2) - 2;
        var stream = new MuxStream(this, id, opened: false);
        _streams[id] = stream;
        if (IsClosed)
        {
            _streams.TryRemove(id, out _);
            throw new IOException("The data connection is closed.");
        }
        return stream;
    }

    private async Task ReadFramesAsync()
    {
        await Task.Yield();
        var header = new byte[HeaderSize];
        try
        {
            while (await _transport.ReadAtLeastAsync(header, HeaderSize, throwOnEndOfStream: false, _closed.Token) == HeaderSize)
            {
                var type = header[1];
                var flags = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(2));
                var id = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4));
                var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(8));
                if (header[0] != 0 || type > WindowUpdateFrame || type == DataFrame && length > MaxPayload)
                    throw new InvalidDataException($"A malformed multiplexing frame (version {header[0]}, type {type}, length {length}).");
                if (type == WindowUpdateFrame)
                {
                    if (_streams.TryGetValue(id, out var credited)) credited.Credit((int)Math.Min(length, Window));
                    continue;
                }
                byte[]? payload = null;
                if (length > 0)
                {
                    payload = ArrayPool<byte>.Shared.Rent((int)length);
                    await _transport.ReadExactlyAsync(payload.AsMemory(0, (int)length), _closed.Token);
                }
                if (!_streams.TryGetValue(id, out var stream) && (flags & Syn) != 0 && _accept is not null && (flags & Rst) == 0)
                {
                    stream = new MuxStream(this, id, opened: true);
                    _streams[id] = stream;
                    _ = RunAcceptedAsync(stream);
                }
                if (stream is null)
                {
                    // A stream this side has already closed: what was still in flight is dropped.
                    if (payload is not null) ArrayPool<byte>.Shared.Return(payload);
                    continue;
                }
                if (payload is not null) stream.Receive(payload, (int)length);
                if ((flags & Rst) != 0) stream.ResetByPeer();
                else if ((flags & Fin) != 0) stream.FinishedByPeer();
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or OperationCanceledException or ObjectDisposedException
                                      or System.Net.Sockets.SocketException or InvalidOperationException)
        {
        }
        finally
        {
            await _closed.CancelAsync();
            foreach (var stream in _streams.Values) stream.ResetByPeer();
            _streams.Clear();
            await _transport.DisposeAsync();
        }
    }

    private async Task RunAcceptedAsync(MuxStream stream)
    {
        try
        {
            await _accept!(stream);
        }
        finally
        {
            await stream.DisposeAsync();
        }
    }

    /// <summary>Writes one frame; frames of different streams interleave, each whole.</summary>
    /// <exception cref="IOException">The connection is closed.</exception>
    internal async ValueTask SendAsync(byte type, ushort flags, uint id, uint length, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (IsClosed) throw new IOException("The data connection is closed.");
        await _writing.WaitAsync(cancellationToken);
        try
        {
            if (IsClosed) throw new IOException("The data connection is closed.");
            _writeBuffer[0] = 0;
            _writeBuffer[1] = type;
            BinaryPrimitives.WriteUInt16BigEndian(_writeBuffer.AsSpan(2), flags);
            BinaryPrimitives.WriteUInt32BigEndian(_writeBuffer.AsSpan(4), id);
            BinaryPrimitives.WriteUInt32BigEndian(_writeBuffer.AsSpan(8), length);
            payload.Span.CopyTo(_writeBuffer.AsSpan(HeaderSize));
            // Not cancellable once begun: half a frame would break every stream of the connection.
            await _transport.WriteAsync(_writeBuffer.AsMemory(0, HeaderSize + payload.Length), _closed.Token);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or System.Net.Sockets.SocketException or InvalidOperationException
                                      or OperationCanceledException)
        {
            await _closed.CancelAsync();
            throw new IOException("The data connection broke.", e);
        }
        finally
        {
            _writing.Release();
        }
    }

    internal void Forget(MuxStream stream) => _streams.TryRemove(new KeyValuePair<uint, MuxStream>(stream.Id, stream));

    /// <summary>Closes the connection; its streams are reset.</summary>
    public async ValueTask DisposeAsync()
    {
        await _closed.CancelAsync();
        // The read pending on the transport ends when it is disposed; so does the reader then.
        await _transport.DisposeAsync();
        await _reading;
    }
}

/// <summary>
/// One visitor's stream inside a <see cref="MuxConnection"/>. Reads return what the peer sent (then 0 after its
/// <see cref="CloseWriteAsync"/>); a reset by either side fails what is still to come with an <see cref="IOException"/>.
/// Disposing a stream that has not been closed both ways resets it.
/// </summary>
public sealed class MuxStream : AsyncDuplexStream
{
    private readonly MuxConnection _connection;
    private readonly Lock _sync = new();
    private readonly Queue<(byte[] Buffer, int Count)> _received = new();
    // How much of the first received segment a read has already taken.
    private int _headOffset;
    private bool _opened;
    private int _sendCredit = MuxConnection.Window;
    private int _unreadBytes;
    private int _readSinceUpdate;
    private bool _peerFinished;
    private bool _finished;
    private bool _reset;
    private int _disposed;
    private TaskCompletionSource? _readable;
    private TaskCompletionSource? _writable;

    internal MuxStream(MuxConnection connection, uint id, bool opened)
    {
        _connection = connection;
        Id = id;
        _opened = opened;
    }

    public uint Id { get; }

    internal void Receive(byte[] payload, int count)
    {
        TaskCompletionSource? wake;
        lock (_sync)
        {
            if (_reset || _peerFinished || _unreadBytes + count > MuxConnection.Window)
            {
                // Past the credit given (or after the end): a peer that breaks the rules loses the stream.
                ArrayPool<byte>.Shared.Return(payload);
                if (_reset) return;
                _reset = true;
                wake = _readable;
                _readable = null;
                _ = SendResetAsync();
            }
            else
            {
                _received.Enqueue((payload, count));
                _unreadBytes += count;
                wake = _readable;
                _readable = null;
            }
        }
        wake?.TrySetResult();
    }

    internal void FinishedByPeer()
    {
        TaskCompletionSource? wake;
        lock (_sync)
        {
            _peerFinished = true;
            wake = _readable;
            _readable = null;
        }
        wake?.TrySetResult();
        if (_finished) _connection.Forget(this);
    }

    internal void ResetByPeer()
    {
        TaskCompletionSource? readable, writable;
        lock (_sync)
        {
            _reset = true;
            (readable, writable) = (_readable, _writable);
            (_readable, _writable) = (null, null);
        }
        readable?.TrySetResult();
        writable?.TrySetResult();
        _connection.Forget(this);
    }

    internal void Credit(int bytes)
    {
        TaskCompletionSource? wake;
        lock (_sync)
        {
            _sendCredit = Math.Min(_sendCredit + bytes, MuxConnection.Window);
            wake = _writable;
            _writable = null;
        }
        wake?.TrySetResult();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task wait;
            int read = 0, update = 0;
            lock (_sync)
            {
                if (_received.Count > 0)
                {
                    if (buffer.Length == 0) return 0;
                    while (read < buffer.Length && _received.TryPeek(out var segment))
                    {
                        var available = segment.Count - _headOffset;
                        var take = Math.Min(available, buffer.Length - read);
                        segment.Buffer.AsSpan(_headOffset, take).CopyTo(buffer.Span[read..]);
                        read += take;
                        if (take < available)
                        {
                            _headOffset += take;
                            break;
                        }
                        _headOffset = 0;
                        _received.Dequeue();
                        ArrayPool<byte>.Shared.Return(segment.Buffer);
                    }
                    _unreadBytes -= read;
                    _readSinceUpdate += read;
                    if (_readSinceUpdate >= MuxConnection.Window / 2 && !_reset && !_peerFinished)
                    {
                        update = _readSinceUpdate;
                        _readSinceUpdate = 0;
                    }
                }
                if (read == 0)
                {
                    if (_reset) throw new IOException("The stream was reset.");
                    if (_peerFinished) return 0;
                    _readable ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    wait = _readable.Task;
                }
                else wait = Task.CompletedTask;
            }
            if (read > 0)
            {
                if (update > 0) await SendCreditAsync(update);
                return read;
            }
            await wait.WaitAsync(cancellationToken);
        }
    }

    private async Task SendCreditAsync(int bytes)
    {
        try
        {
            await _connection.SendAsync(MuxConnection.WindowUpdateFrame, 0, Id, (uint)bytes, ReadOnlyMemory<byte>.Empty, CancellationToken.None);
        }
        catch (IOException)
        {
            // The connection broke: the reader finds the stream reset soon enough.
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (buffer.Length > 0)
        {
            Task wait;
            int take;
            ushort flags;
            lock (_sync)
            {
                if (_reset) throw new IOException("The stream was reset.");
                if (_finished) throw new IOException("The stream's write side is closed.");
                take = Math.Min(Math.Min(buffer.Length, _sendCredit), MuxConnection.MaxPayload);
                if (take == 0)
                {
                    _writable ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    wait = _writable.Task;
                    flags = 0;
                }
                else
                {
                    _sendCredit -= take;
                    wait = Task.CompletedTask;
                    flags = _opened ? (ushort)0 : MuxConnection.Syn;
                    _opened = true;
                }
            }
            if (take == 0)
            {
                await wait.WaitAsync(cancellationToken);
                continue;
            }
            await _connection.SendAsync(MuxConnection.DataFrame, flags, Id, (uint)take, buffer[..take], cancellationToken);
            buffer = buffer[take..];
        }
    }

    /// <summary>Tells the peer no more bytes come from here; reading goes on.</summary>
    public async Task CloseWriteAsync()
    {
        ushort flags;
        lock (_sync)
        {
            if (_finished || _reset) return;
            _finished = true;
            flags = (ushort)(MuxConnection.Fin | (_opened ? 0 : MuxConnection.Syn));
            _opened = true;
        }
        await _connection.SendAsync(MuxConnection.DataFrame, flags, Id, 0, ReadOnlyMemory<byte>.Empty, CancellationToken.None);
        if (_peerFinished) _connection.Forget(this);
    }

    private async Task SendResetAsync()
    {
        _connection.Forget(this);
        try
        {
            await _connection.SendAsync(MuxConnection.DataFrame, MuxConnection.Rst, Id, 0, ReadOnlyMemory<byte>.Empty, CancellationToken.None);
        }
        catch (IOException)
        {
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        bool reset;
        TaskCompletionSource? readable, writable;
        lock (_sync)
        {
            // Never opened on the wire: nothing to tell the peer.
            reset = !_reset && _opened && !(_finished && _peerFinished);
            _reset = true;
            (readable, writable) = (_readable, _writable);
            (_readable, _writable) = (null, null);
            while (_received.TryDequeue(out var segment)) ArrayPool<byte>.Shared.Return(segment.Buffer);
        }
        readable?.TrySetResult();
        writable?.TrySetResult();
        // Not awaited: disposing never waits for the connection's writers (HttpClient disposes its streams
        // synchronously, possibly on a socket's completion thread, which those writers may need).
        if (reset) _ = SendResetAsync();
        else _connection.Forget(this);
        await base.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && Volatile.Read(ref _disposed) == 0) _ = DisposeAsync().AsTask();
        base.Dispose(disposing);
    }

}
