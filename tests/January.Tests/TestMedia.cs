using System.Buffers.Binary;
using System.Text;

namespace Spokes.January.Tests;

/// <summary>Small media files made in memory, of known sizes.</summary>
public static class TestMedia
{
    /// <summary>A 1×1 GIF89a.</summary>
    public static readonly byte[] Gif = Convert.FromBase64String("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7");

    public static byte[] Png(int width, int height) => NetVips.Image.Black(width, height).PngsaveBuffer();

    /// <summary>The boxes of an MP4 that tell its size: <c>ftyp</c>, then <c>moov/trak/tkhd</c> (version 0), then <paramref name="padding"/> bytes of data.</summary>
    public static byte[] Mp4(int width, int height, int padding = 0)
    {
        var tkhd = new byte[84];
        BinaryPrimitives.WriteUInt32BigEndian(tkhd.AsSpan(76), (uint)width << 16);
        BinaryPrimitives.WriteUInt32BigEndian(tkhd.AsSpan(80), (uint)height << 16);
        var ftyp = Box("ftyp", [.. "isom"u8, 0, 0, 2, 0]);
        var moov = Box("moov", Box("trak", Box("tkhd", tkhd)));
        var mdat = Box("mdat", new byte[padding]);
        return [.. ftyp, .. moov, .. mdat];
    }

    /// <summary>A WebM's EBML header and a segment whose tracks hold one video of this size.</summary>
    public static byte[] WebM(int width, int height)
    {
        byte[] video = [.. Element([0xB0], Uint(width)), .. Element([0xBA], Uint(height))];
        var tracks = Element([0x16, 0x54, 0xAE, 0x6B], Element([0xAE], Element([0xE0], video)));
        return [.. Element([0x1A, 0x45, 0xDF, 0xA3], Element([0x42, 0x82], "webm"u8.ToArray())), .. Element([0x18, 0x53, 0x80, 0x67], tracks)];
    }

    private static byte[] Box(string type, byte[] body)
    {
        var box = new byte[8 + body.Length];
        BinaryPrimitives.WriteUInt32BigEndian(box, (uint)box.Length);
        Encoding.ASCII.GetBytes(type).CopyTo(box, 4);
        body.CopyTo(box, 8);
        return box;
    }

    // Sizes as 8-byte EBML integers, which any length fits.
    private static byte[] Element(byte[] id, byte[] body)
    {
        var size = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(size, (ulong)body.Length);
        size[0] = 0x01;
        return [.. id, .. size, .. body];
    }

    private static byte[] Uint(int value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)value);
        return bytes;
    }
}
