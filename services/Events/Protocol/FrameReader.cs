using System.Buffers;
using System.Net.WebSockets;

namespace Spokes.Events.Protocol;

public enum FrameOutcome { Message, Closed, TooLarge }

/// <summary>A whole client message; <see cref="Release"/> returns its pooled buffer, if it needed one.</summary>
public readonly record struct ReceivedFrame(FrameOutcome Outcome, WebSocketMessageType Type, ReadOnlyMemory<byte> Data, byte[]? Pooled)
{
    public void Release()
    {
        if (Pooled is not null) ArrayPool<byte>.Shared.Return(Pooled);
    }
}

/// <summary>
/// Reads one message into a small per-socket buffer, borrowing a pooled one only for longer messages, so an
/// idle socket holds no more than the small buffer.
/// </summary>
public static class FrameReader
{
    public static async Task<ReceivedFrame> ReadAsync(WebSocket socket, byte[] small, int maxBytes, CancellationToken cancellationToken)
    {
        var result = await socket.ReceiveAsync(small.AsMemory(), cancellationToken);
        if (result.MessageType == WebSocketMessageType.Close) return new(FrameOutcome.Closed, result.MessageType, default, null);
        if (result.EndOfMessage) return new(FrameOutcome.Message, result.MessageType, small.AsMemory(0, result.Count), null);

        var pooled = ArrayPool<byte>.Shared.Rent(Math.Min(maxBytes + 1, Math.Max(small.Length * 4, 1024)));
        small.AsSpan(0, result.Count).CopyTo(pooled);
        var length = result.Count;
        try
        {
            while (true)
            {
                if (length == pooled.Length)
                {
                    if (length > maxBytes) break;
                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(pooled.Length * 2, maxBytes + 1));
                    pooled.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(pooled);
                    pooled = larger;
                }
                result = await socket.ReceiveAsync(pooled.AsMemory(length), cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    ArrayPool<byte>.Shared.Return(pooled);
                    return new(FrameOutcome.Closed, result.MessageType, default, null);
                }
                length += result.Count;
                if (length > maxBytes) break;
                if (result.EndOfMessage) return new(FrameOutcome.Message, result.MessageType, pooled.AsMemory(0, length), pooled);
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(pooled);
            throw;
        }
        ArrayPool<byte>.Shared.Return(pooled);
        return new(FrameOutcome.TooLarge, result.MessageType, default, null);
    }
}
