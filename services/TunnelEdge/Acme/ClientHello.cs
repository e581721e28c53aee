using System.Buffers;
using System.Buffers.Binary;

namespace Spokes.TunnelEdge.Acme;

/// <summary>
/// Reads the ALPN protocols a TLS ClientHello offers (RFC 5246 §7.4.1.2, RFC 7301), without consuming it:
/// TLS-ALPN-01 needs its own certificate chosen before the handshake, and .NET's SNI callback does not see ALPN.
/// A hand-written length-checked walk; anything malformed or cut short reads as "no ALPN".
/// </summary>
public static class ClientHello
{
    /// <summary>How much of a connection's start is read at most to find the ClientHello (one TLS record).</summary>
    public const int MaxRecordLength = 5 + 16384;

    /// <summary>Whether <paramref name="data"/> holds the whole first TLS record, or cannot be one (so waiting longer is pointless).</summary>
    public static bool IsComplete(ReadOnlySequence<byte> data)
    {
        if (data.Length < 5) return false;
        Span<byte> header = stackalloc byte[5];
        data.Slice(0, 5).CopyTo(header);
        if (header[0] != 22) return true;
        return data.Length >= 5 + BinaryPrimitives.ReadUInt16BigEndian(header[3..]);
    }

    public static IReadOnlyList<string> AlpnProtocols(ReadOnlySequence<byte> data)
    {
        var bytes = data.Length > MaxRecordLength ? data.Slice(0, MaxRecordLength).ToArray() : data.ToArray();
        var protocols = new List<string>();
        var reader = new Reader(bytes);
        // Record: type 22 (handshake), version, length; handshake: type 1 (ClientHello), 3-byte length.
        if (!reader.Byte(out var recordType) || recordType != 22 || !reader.Skip(2) || !reader.UInt16(out var recordLength)) return protocols;
        if (!reader.Byte(out var handshakeType) || handshakeType != 1 || !reader.Skip(3)) return protocols;
        // Version, random, session id, cipher suites, compression methods.
        if (!reader.Skip(2 + 32) || !reader.SkipVector8() || !reader.SkipVector16() || !reader.SkipVector8()) return protocols;
        if (!reader.UInt16(out var extensionsLength)) return protocols;
        var end = Math.Min(reader.Position + extensionsLength, 5 + recordLength);
        while (reader.Position + 4 <= end)
        {
            if (!reader.UInt16(out var type) || !reader.UInt16(out var length)) return protocols;
            if (type != 16)
            {
                if (!reader.Skip(length)) return protocols;
                continue;
            }
            if (!reader.UInt16(out var listLength)) return protocols;
            var listEnd = reader.Position + listLength;
            while (reader.Position < listEnd && reader.Byte(out var nameLength))
            {
                if (!reader.Bytes(nameLength, out var name)) return protocols;
                protocols.Add(System.Text.Encoding.ASCII.GetString(name));
            }
            return protocols;
        }
        return protocols;
    }

    private ref struct Reader(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;

        public int Position { get; private set; }

        public bool Skip(int count)
        {
            if (Position + count > _bytes.Length) return false;
            Position += count;
            return true;
        }

        public bool Byte(out byte value)
        {
            value = 0;
            if (Position >= _bytes.Length) return false;
            value = _bytes[Position++];
            return true;
        }

        public bool UInt16(out int value)
        {
            value = 0;
            if (Position + 2 > _bytes.Length) return false;
            value = BinaryPrimitives.ReadUInt16BigEndian(_bytes[Position..]);
            Position += 2;
            return true;
        }

        public bool Bytes(int count, out ReadOnlySpan<byte> value)
        {
            value = default;
            if (Position + count > _bytes.Length) return false;
            value = _bytes.Slice(Position, count);
            Position += count;
            return true;
        }

        public bool SkipVector8() => Byte(out var length) && Skip(length);

        public bool SkipVector16() => UInt16(out var length) && Skip(length);
    }
}
