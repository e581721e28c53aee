using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;
using VipsImage = NetVips.Image;

namespace Spokes.Autumn.Tests;

/// <summary>Uploads for the tests, made here so each says what it is.</summary>
public static class TestFiles
{
    public static byte[] Png(int width = 64, int height = 48) =>
        VipsImage.Gaussnoise(width, height).Cast(NetVips.Enums.BandFormat.Uchar).PngsaveBuffer();

    public static byte[] Jpeg(int width = 64, int height = 48) =>
        VipsImage.Gaussnoise(width, height).Cast(NetVips.Enums.BandFormat.Uchar).JpegsaveBuffer();

    /// <summary>A JPEG whose EXIF holds a GPS position (51° 30' N), as a phone writes it.</summary>
    public static byte[] JpegWithGps(int width = 64, int height = 48)
    {
        var jpeg = Jpeg(width, height);
        var tiff = new byte[80];
        "II"u8.CopyTo(tiff);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(2), 42);
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(4), 8);
        // IFD0: one entry, the GPS IFD's offset.
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(8), 1);
        Entry(tiff, 10, tag: 0x8825, type: 4, count: 1, value: 26);
        // GPS IFD: latitude reference "N" and latitude 51/1, 30/1, 0/1.
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(26), 2);
        Entry(tiff, 28, tag: 0x0001, type: 2, count: 2, value: 'N');
        Entry(tiff, 40, tag: 0x0002, type: 5, count: 3, value: 56);
        uint[] rationals = [51, 1, 30, 1, 0, 1];
        for (var i = 0; i < rationals.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(56 + 4 * i), rationals[i]);

        var app1 = new List<byte> { 0xFF, 0xE1, 0, 0 };
        app1.AddRange("Exif\0\0"u8.ToArray());
        app1.AddRange(tiff);
        BinaryPrimitives.WriteUInt16BigEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(app1)[2..], (ushort)(app1.Count - 2));
        return [.. jpeg.AsSpan(0, 2), .. app1, .. jpeg.AsSpan(2)];
    }

    private static void Entry(byte[] tiff, int at, ushort tag, ushort type, uint count, uint value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(at), tag);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(at + 2), type);
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(at + 4), count);
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(at + 8), value);
    }

    /// <summary>
    /// A decompression bomb: a small PNG that says it is <paramref name="side"/> × <paramref name="side"/> grey
    /// pixels (2.5 GB decoded at 50,000), with a few rows of zeros as its data.
    /// </summary>
    public static byte[] PngBomb(int side = 50_000)
    {
        using var output = new MemoryStream();
        output.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, side);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), side);
        header[8] = 8; // bit depth; colour type 0 (grey), compression, filter and interlace 0
        Chunk(output, "IHDR", header);
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true)) zlib.Write(new byte[(side + 1) * 16]);
        Chunk(output, "IDAT", compressed.ToArray());
        Chunk(output, "IEND", []);
        return output.ToArray();
    }

    private static void Chunk(Stream output, string type, byte[] data)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        output.Write(length);
        var typeAndData = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        output.Write(typeAndData);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32.HashToUInt32(typeAndData));
        output.Write(crc);
    }

    public static byte[] Pdf() => "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"u8.ToArray();

    /// <summary>A text file that repeats <paramref name="marker"/>, to be searched for in the stored objects.</summary>
    public static byte[] TextWith(string marker) => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(marker + "\n", 200)));

    public static bool Contains(byte[] haystack, string marker) => haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(marker)) >= 0;
}
