using System.Threading.Channels;
using Spokes.Contracts.Tunnels;

namespace Spokes.TunnelEdge.Ssh;

/// <summary>
/// One SSH channel as a stream (RFC 4254 §5): what the client sends arrives as CHANNEL_DATA within the window this
/// side grants, and is granted again as the reader consumes it; what is written goes out in packets no larger
/// than the client's maximum, waiting while the client's window is spent. EOF half-closes; CLOSE ends both ways.
/// </summary>
public sealed class SshChannel : AsyncDuplexStream
{
    /// <summary>The window this side grants: enough for a fast transfer, bounded per channel.</summary>
    public const uint LocalWindow = 2 * 1024 * 1024;

    /// <summary>The largest data packet this side accepts.</summary>
    public const uint LocalMaxPacket = 32 * 1024;

    private readonly SshConnection _connection;
    private readonly Channel<byte[]> _received = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly Lock _windowLock = new();
    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _closed = new();
    private TaskCompletionSource _windowGrown = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ReadOnlyMemory<byte> _current;
    private long _remoteWindow;
    private uint _remoteMaxPacket;
    private uint _consumed;
    private uint _receivedUnconsumed;
    private int _eofSent;
    private int _closeSent;

    public SshChannel(SshConnection connection, uint localId)
    {
        _connection = connection;
        LocalId = localId;
    }

    public uint LocalId { get; }

    public uint RemoteId { get; private set; }

    /// <summary>Completes when the client confirmed the channel; fails when it refused it.</summary>
    public Task Opened => _opened.Task;

    public bool IsClosed => _closed.IsCancellationRequested;

    public void Confirm(uint remoteId, uint window, uint maxPacket)
    {
        RemoteId = remoteId;
        _remoteWindow = window;
        _remoteMaxPacket = Math.Clamp(maxPacket, 1, LocalMaxPacket);
        _opened.TrySetResult();
    }

    public void Refuse(string reason) => _opened.TrySetException(new IOException($"The SSH client refused the connection: {reason}"));

    public void OnData(ReadOnlySpan<byte> data)
    {
        lock (_windowLock)
        {
            _receivedUnconsumed += (uint)data.Length;
            if (_receivedUnconsumed > LocalWindow) throw new SshProtocolException("The client sent more than the channel's window.");
        }
        _received.Writer.TryWrite(data.ToArray());
    }

    public void OnWindowAdjust(uint bytes)
    {
        lock (_windowLock)
        {
            _remoteWindow += bytes;
            _windowGrown.TrySetResult();
        }
    }

    public void OnEof() => _received.Writer.TryComplete();

    /// <summary>The client closed the channel (or the connection ended): reads end, writes fail.</summary>
    public void OnClosed()
    {
        _received.Writer.TryComplete();
        _opened.TrySetException(new IOException("The SSH connection ended."));
        _closed.Cancel();
        lock (_windowLock) _windowGrown.TrySetResult();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_current.IsEmpty)
        {
            if (_received.Reader.TryRead(out var next))
            {
                _current = next;
                break;
            }
            if (!await _received.Reader.WaitToReadAsync(cancellationToken)) return 0;
        }
        if (buffer.IsEmpty) return 0;
        var count = Math.Min(buffer.Length, _current.Length);
        _current[..count].CopyTo(buffer);
        _current = _current[count..];
        await ConsumedAsync((uint)count, cancellationToken);
        return count;
    }

    /// <summary>Grants the client its window back once half of it was read.</summary>
    private async Task ConsumedAsync(uint count, CancellationToken cancellationToken)
    {
        uint grant = 0;
        lock (_windowLock)
        {
            _receivedUnconsumed -= count;
            _consumed += count;
            if (_consumed >= LocalWindow / 2)
            {
                grant = _consumed;
                _consumed = 0;
            }
        }
        if (grant > 0 && !IsClosed)
            await _connection.SendAsync(new SshWriter(SshMessage.ChannelWindowAdjust).UInt32(RemoteId).UInt32(grant), cancellationToken);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _writing.WaitAsync(cancellationToken);
        try
        {
            while (!buffer.IsEmpty)
            {
                int count;
                Task grown;
                lock (_windowLock)
                {
                    if (IsClosed || _eofSent == 1) throw new IOException("The SSH channel is closed for writing.");
                    count = (int)Math.Min(Math.Min(_remoteWindow, _remoteMaxPacket), buffer.Length);
                    if (count > 0) _remoteWindow -= count;
                    else _windowGrown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    grown = _windowGrown.Task;
                }
                if (count == 0)
                {
                    await grown.WaitAsync(cancellationToken);
                    continue;
                }
                await _connection.SendAsync(new SshWriter(SshMessage.ChannelData, count + 16).UInt32(RemoteId).Bytes(buffer.Span[..count]), cancellationToken);
                buffer = buffer[count..];
            }
        }
        finally
        {
            _writing.Release();
        }
    }

    /// <summary>No more bytes from this side (a visitor half-closed); the client's bytes still arrive.</summary>
    public async Task SendEofAsync()
    {
        if (IsClosed || Interlocked.Exchange(ref _eofSent, 1) == 1) return;
        await _writing.WaitAsync();
        try
        {
            await _connection.SendAsync(new SshWriter(SshMessage.ChannelEof).UInt32(RemoteId), CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
        }
        finally
        {
            _writing.Release();
        }
    }

    /// <summary>Sends CLOSE once (answering the client's, or ending the channel from this side).</summary>
    public async Task SendCloseAsync()
    {
        if (Interlocked.Exchange(ref _closeSent, 1) == 1 || !_opened.Task.IsCompletedSuccessfully) return;
        try
        {
            await _connection.SendAsync(new SshWriter(SshMessage.ChannelClose).UInt32(RemoteId), CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) DisposeAsync().AsTask().GetAwaiter().GetResult();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await SendCloseAsync();
        _connection.Forget(this);
        GC.SuppressFinalize(this);
    }
}
