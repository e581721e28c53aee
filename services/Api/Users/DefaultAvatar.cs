using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Spokes.Api.Users;

/// <summary>
/// The picture a user without an avatar gets: a symmetric 5×5 pattern in a colour, both derived from the user
/// id, so it is the same on every client and every replica and needs no storage. Encoded as a PNG.
/// </summary>
public static class DefaultAvatar
{
    public const int Size = 256;
    private const int Cells = 5;
    private const int CellSize = 40;
    private const int Margin = (Size - Cells * CellSize) / 2;

    public static byte[] Png(string userId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(userId));
        var foreground = FromHue(BinaryPrimitives.ReadUInt16BigEndian(hash) % 360);
        var background = (R: (byte)0xF0, G: (byte)0xF0, B: (byte)0xF0);

        // Left three columns from the hash; the right two mirror them.
        var filled = new bool[Cells, Cells];
        for (var row = 0; row < Cells; row++)
        for (var column = 0; column < 3; column++)
            filled[row, column] = filled[row, Cells - 1 - column] = (hash[2 + row * 3 + column] & 1) == 1;

        var stride = 1 + Size * 3;
        var pixels = new byte[stride * Size];
        for (var y = 0; y < Size; y++)
        {
            pixels[y * stride] = 0; // filter: none
            for (var x = 0; x < Size; x++)
            {
                var (cellX, cellY) = ((x - Margin) / CellSize, (y - Margin) / CellSize);
                var inside = x >= Margin && y >= Margin && cellX < Cells && cellY < Cells;
                var (r, g, b) = inside && filled[cellY, cellX] ? foreground : background;
                var at = y * stride + 1 + x * 3;
                (pixels[at], pixels[at + 1], pixels[at + 2]) = (r, g, b);
            }
        }
        return Encode(pixels);
    }

    /// <summary>A saturated, mid-light colour of the given hue.</summary>
    private static (byte R, byte G, byte B) FromHue(int hue)
    {
        const double saturation = 0.55, lightness = 0.5;
        var chroma = (1 - Math.Abs(2 * lightness - 1)) * saturation;
        var x = chroma * (1 - Math.Abs(hue / 60.0 % 2 - 1));
        var (r, g, b) = (hue / 60) switch
        {
            0 => (chroma, x, 0.0),
            1 => (x, chroma, 0.0),
            2 => (0.0, chroma, x),
            3 => (0.0, x, chroma),
            4 => (x, 0.0, chroma),
            _ => (chroma, 0.0, x),
        };
        var m = lightness - chroma / 2;
        return ((byte)Math.Round((r + m) * 255), (byte)Math.Round((g + m) * 255), (byte)Math.Round((b + m) * 255));
    }

    private static byte[] Encode(byte[] scanlines)
    {
        using var output = new MemoryStream();
        output.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, Size);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), Size);
        header[8] = 8; // bits per channel
        header[9] = 2; // truecolour RGB
        WriteChunk(output, "IHDR", header);
        using (var compressed = new MemoryStream())
        {
            using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true)) zlib.Write(scanlines);
            WriteChunk(output, "IDAT", compressed.ToArray());
        }
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    private static void WriteChunk(Stream output, string type, byte[] data)
    {
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(number, data.Length);
        output.Write(number);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        output.Write(typeBytes);
        output.Write(data);
        var crc = new System.IO.Hashing.Crc32();
        crc.Append(typeBytes);
        crc.Append(data);
        BinaryPrimitives.WriteUInt32BigEndian(number, crc.GetCurrentHashAsUInt32());
        output.Write(number);
    }
}
