using System.Buffers.Binary;

namespace Spokes.January.Embeds;

/// <summary>
/// A video's width and height read from the start of its file, without a decoder: MP4/QuickTime from the first
/// track header (<c>moov/trak/tkhd</c>) with a size, WebM/Matroska from the first <c>Video</c> element of its tracks.
/// Null when the bytes given hold no such header (another format, or a header past what was read).
/// </summary>
public static class VideoProbe
{
    private const int MaxDepth = 8;

    public static (int Width, int Height)? Dimensions(ReadOnlySpan<byte> data) =>
        data.Length >= 8 && data[4..8].SequenceEqual("ftyp"u8) ? Mp4(data, 0)
        : data.Length >= 4 && BinaryPrimitives.ReadUInt32BigEndian(data) == EbmlHeader ? Matroska(data, 0)
        : null;

    private static (int, int)? Mp4(ReadOnlySpan<byte> data, int depth)
    {
        while (data.Length >= 8 && depth < MaxDepth)
        {
            long size = BinaryPrimitives.ReadUInt32BigEndian(data);
            var type = data[4..8];
            var header = 8;
            if (size == 1 && data.Length >= 16)
            {
                size = (long)BinaryPrimitives.ReadUInt64BigEndian(data[8..]);
                header = 16;
            }
            else if (size == 0)
            {
                size = data.Length;
            }
            if (size < header) return null;
            var body = data[header..(int)Math.Min(size, data.Length)];
            if (type.SequenceEqual("moov"u8) || type.SequenceEqual("trak"u8))
            {
                if (Mp4(body, depth + 1) is { } found) return found;
            }
            else if (type.SequenceEqual("tkhd"u8) && TrackSize(body) is { } trackSize)
            {
                return trackSize;
            }
            if (size >= data.Length) return null;
            data = data[(int)size..];
        }
        return null;
    }

    // Version 0 and 1 differ in the width of their times; width and height are 16.16 fixed point at the end.
    private static (int, int)? TrackSize(ReadOnlySpan<byte> tkhd)
    {
        if (tkhd.Length < 1) return null;
        var offset = tkhd[0] == 1 ? 88 : 76;
        if (tkhd.Length < offset + 8) return null;
        var width = (int)(BinaryPrimitives.ReadUInt32BigEndian(tkhd[offset..]) >> 16);
        var height = (int)(BinaryPrimitives.ReadUInt32BigEndian(tkhd[(offset + 4)..]) >> 16);
        return width > 0 && height > 0 ? (width, height) : null;
    }

    private const uint EbmlHeader = 0x1A45DFA3;
    private const uint Segment = 0x18538067;
    private const uint Tracks = 0x1654AE6B;
    private const uint TrackEntry = 0xAE;
    private const uint Video = 0xE0;
    private const uint PixelWidth = 0xB0;
    private const uint PixelHeight = 0xBA;

    private static (int, int)? Matroska(ReadOnlySpan<byte> data, int depth)
    {
        int width = 0, height = 0;
        while (data.Length > 0 && depth < MaxDepth)
        {
            if (ReadVint(data, keepMarker: true) is not var (id, idLength) || ReadVint(data[idLength..], keepMarker: false) is not var (size, sizeLength))
                return null;
            var start = idLength + sizeLength;
            // An unknown size (all ones) runs to the end of its parent, as a live stream's segment does.
            var unknown = size == (1UL << (7 * sizeLength)) - 1;
            var end = unknown || (ulong)(data.Length - start) < size ? data.Length : start + (int)size;
            var body = data[start..end];
            switch (id)
            {
                case Segment or Tracks or TrackEntry:
                    if (Matroska(body, depth + 1) is { } found) return found;
                    break;
                case Video:
                    return Matroska(body, depth + 1);
                case PixelWidth:
                    width = (int)Math.Min(ReadUnsigned(body), int.MaxValue);
                    break;
                case PixelHeight:
                    height = (int)Math.Min(ReadUnsigned(body), int.MaxValue);
                    break;
            }
            if (width > 0 && height > 0) return (width, height);
            data = data[end..];
        }
        return null;
    }

    // EBML's variable-length integers: the count of leading zero bits of the first byte tells the length.
    private static (ulong Value, int Length)? ReadVint(ReadOnlySpan<byte> data, bool keepMarker)
    {
        if (data.IsEmpty || data[0] == 0) return null;
        var length = System.Numerics.BitOperations.LeadingZeroCount((uint)data[0]) - 23;
        if (length > 8 || data.Length < length) return null;
        ulong value = keepMarker ? data[0] : (ulong)(data[0] & (0xFF >> length));
        for (var i = 1; i < length; i++) value = (value << 8) | data[i];
        return (value, length);
    }

    private static ulong ReadUnsigned(ReadOnlySpan<byte> data)
    {
        ulong value = 0;
        foreach (var b in data[..Math.Min(data.Length, 8)]) value = (value << 8) | b;
        return value;
    }
}
