using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Spokes.Contracts.Tunnels;

/// <summary>
/// One message = a 4-byte big-endian length and that many bytes of JSON. Length-prefixed rather than
/// line-based so that a reader never takes a byte more than its message: on a data connection the raw
/// relayed bytes follow the <see cref="Start"/> message directly.
/// </summary>
public static class TunnelFraming
{
    public const int MaxMessageBytes = 64 * 1024;

    public static byte[] Encode(TunnelMessage message)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(message, TunnelJson.Default.TunnelMessage);
        var frame = new byte[4 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, body.Length);
        body.CopyTo(frame, 4);
        return frame;
    }

    public static async Task WriteAsync(Stream stream, TunnelMessage message, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(Encode(message), cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }

    /// <summary>The next message, or null at a clean end of stream before one began.</summary>
    /// <exception cref="InvalidDataException">An oversized or unreadable message.</exception>
    public static async Task<TunnelMessage?> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = new byte[4];
        var read = await stream.ReadAtLeastAsync(header, 4, throwOnEndOfStream: false, cancellationToken);
        if (read == 0) return null;
        if (read < 4) throw new EndOfStreamException("The connection closed in the middle of a message.");
        var length = BinaryPrimitives.ReadInt32BigEndian(header);
        if (length is <= 0 or > MaxMessageBytes) throw new InvalidDataException($"A tunnel message of {length} bytes is not allowed.");
        var body = new byte[length];
        await stream.ReadExactlyAsync(body, cancellationToken);
        try
        {
            return JsonSerializer.Deserialize(body, TunnelJson.Default.TunnelMessage) ?? throw new InvalidDataException("An empty tunnel message.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"An unreadable tunnel message: {e.Message}", e);
        }
        catch (NotSupportedException e)
        {
            throw new InvalidDataException($"An unreadable tunnel message: {e.Message}", e);
        }
    }
}

/// <summary>The messages' JSON, generated at build time: the edge is published ahead-of-time, without reflection.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(TunnelMessage))]
internal sealed partial class TunnelJson : JsonSerializerContext;
