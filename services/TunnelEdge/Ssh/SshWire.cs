using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Spokes.TunnelEdge.Ssh;

/// <summary>Reads SSH's data types (RFC 4251 §5) from a message; a message that ends early is malformed.</summary>
public ref struct SshReader(ReadOnlySpan<byte> data)
{
    private ReadOnlySpan<byte> _rest = data;

    public readonly bool AtEnd => _rest.IsEmpty;

    public byte Byte()
    {
        var value = Take(1)[0];
        return value;
    }

    public bool Boolean() => Byte() != 0;

    public uint UInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public ReadOnlySpan<byte> Bytes()
    {
        var length = UInt32();
        if (length > _rest.Length) throw new InvalidDataException("An SSH string runs past the end of its message.");
        return Take((int)length);
    }

    public string Text() => Encoding.UTF8.GetString(Bytes());

    public string[] NameList() => Text().Split(',', StringSplitOptions.RemoveEmptyEntries);

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _rest.Length) throw new InvalidDataException("An SSH message ended early.");
        var taken = _rest[..count];
        _rest = _rest[count..];
        return taken;
    }
}

/// <summary>Writes SSH's data types into a growing buffer.</summary>
public sealed class SshWriter
{
    private byte[] _buffer;
    private int _length;

    public SshWriter(byte messageType, int capacity = 64)
    {
        _buffer = new byte[Math.Max(capacity, 16)];
        Byte(messageType);
    }

    private SshWriter(int capacity) => _buffer = new byte[capacity];

    /// <summary>A writer with no message type byte (for hashes and key blobs).</summary>
    public static SshWriter Raw(int capacity = 256) => new(capacity);

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    public byte[] ToArray() => Written.ToArray();

    public SshWriter Byte(byte value)
    {
        Reserve(1)[0] = value;
        return this;
    }

    public SshWriter Boolean(bool value) => Byte(value ? (byte)1 : (byte)0);

    public SshWriter UInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(Reserve(4), value);
        return this;
    }

    public SshWriter Bytes(ReadOnlySpan<byte> value)
    {
        UInt32((uint)value.Length);
        value.CopyTo(Reserve(value.Length));
        return this;
    }

    public SshWriter Text(string value) => Bytes(Encoding.UTF8.GetBytes(value));

    public SshWriter NameList(params string[] names) => Text(string.Join(',', names));

    /// <summary>An unsigned big-endian number as an mpint (a leading zero where its top bit is set).</summary>
    public SshWriter UnsignedMpint(ReadOnlySpan<byte> magnitude)
    {
        var start = 0;
        while (start < magnitude.Length && magnitude[start] == 0) start++;
        magnitude = magnitude[start..];
        var pad = magnitude.Length > 0 && magnitude[0] >= 0x80;
        UInt32((uint)(magnitude.Length + (pad ? 1 : 0)));
        if (pad) Byte(0);
        magnitude.CopyTo(Reserve(magnitude.Length));
        return this;
    }

    public SshWriter Raw(ReadOnlySpan<byte> value)
    {
        value.CopyTo(Reserve(value.Length));
        return this;
    }

    private Span<byte> Reserve(int count)
    {
        if (_length + count > _buffer.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
        var span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }
}

/// <summary>Numbers as SSH carries them: mpints are signed big-endian two's complement.</summary>
public static class SshNumbers
{
    /// <summary>The magnitude of a non-negative mpint, padded or trimmed to <paramref name="length"/> bytes.</summary>
    public static byte[] FixedLength(ReadOnlySpan<byte> mpint, int length)
    {
        var value = new BigInteger(mpint, isUnsigned: false, isBigEndian: true);
        if (value.Sign < 0) throw new InvalidDataException("A negative number where SSH expects a positive one.");
        var bytes = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        if (bytes.Length > length) throw new InvalidDataException("A number is larger than its key allows.");
        var result = new byte[length];
        bytes.CopyTo(result.AsSpan(length - bytes.Length));
        return result;
    }
}
