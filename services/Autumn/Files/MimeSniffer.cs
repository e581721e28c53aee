using System.Text;

namespace Spokes.Autumn.Files;

/// <summary>
/// The content type told by a file's first bytes, never by the client: what it claims is ignored, so an HTML page
/// cannot be stored as an image. Unknown binary is <c>application/octet-stream</c>; valid UTF-8 without control
/// characters is <c>text/plain</c>.
/// </summary>
public static class MimeSniffer
{
    /// <summary>How many leading bytes <see cref="Sniff"/> looks at.</summary>
    public const int HeadLength = 4096;

    public const string OctetStream = "application/octet-stream";

    public static string Sniff(ReadOnlySpan<byte> head)
    {
        if (StartsWith(head, [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A])) return "image/png";
        if (StartsWith(head, [0xFF, 0xD8, 0xFF])) return "image/jpeg";
        if (StartsWith(head, "GIF87a"u8) || StartsWith(head, "GIF89a"u8)) return "image/gif";
        if (StartsWith(head, "RIFF"u8) && At(head, 8, "WEBP"u8)) return "image/webp";
        if (StartsWith(head, "RIFF"u8) && At(head, 8, "WAVE"u8)) return "audio/wav";
        if (StartsWith(head, "RIFF"u8) && At(head, 8, "AVI "u8)) return "video/x-msvideo";
        if (StartsWith(head, "BM"u8) && head.Length >= 26) return "image/bmp";
        if (StartsWith(head, [0x00, 0x00, 0x01, 0x00])) return "image/vnd.microsoft.icon";
        if (StartsWith(head, "II*\0"u8) || StartsWith(head, "MM\0*"u8)) return "image/tiff";
        if (At(head, 4, "ftyp"u8)) return IsoMedia(head);
        if (StartsWith(head, [0x1A, 0x45, 0xDF, 0xA3])) return ContainsAscii(head, "webm") ? "video/webm" : "video/x-matroska";
        if (StartsWith(head, "OggS"u8)) return "audio/ogg";
        if (StartsWith(head, "fLaC"u8)) return "audio/flac";
        if (StartsWith(head, "ID3"u8) || (head.Length >= 2 && head[0] == 0xFF && (head[1] & 0xE0) == 0xE0)) return "audio/mpeg";
        if (StartsWith(head, "%PDF-"u8)) return "application/pdf";
        if (StartsWith(head, "PK\x03\x04"u8)) return "application/zip";
        if (StartsWith(head, "MZ"u8)) return "application/vnd.microsoft.portable-executable";
        if (StartsWith(head, [0x7F, (byte)'E', (byte)'L', (byte)'F'])) return "application/x-executable";
        return IsText(head) ? "text/plain" : OctetStream;
    }

    // ISO base media: the brand after `ftyp` tells images (AVIF, HEIC) from video and audio.
    private static string IsoMedia(ReadOnlySpan<byte> head)
    {
        var brand = head.Length >= 12 ? Encoding.ASCII.GetString(head[8..12]) : "";
        return brand switch
        {
            "avif" or "avis" => "image/avif",
            "heic" or "heix" or "mif1" or "msf1" => "image/heic",
            "M4A " => "audio/mp4",
            "qt  " => "video/quicktime",
            _ => "video/mp4",
        };
    }

    private static bool IsText(ReadOnlySpan<byte> head)
    {
        if (head.IsEmpty) return false;
        foreach (var b in head)
        {
            if (b < 0x20 && b is not ((byte)'\n' or (byte)'\r' or (byte)'\t' or 0x0C)) return false;
        }
        // A multi-byte character cut at the end of the head is still text.
        var status = System.Text.Unicode.Utf8.ToUtf16(head, new char[head.Length], out var read, out _, replaceInvalidSequences: false, isFinalBlock: false);
        return status is System.Buffers.OperationStatus.Done or System.Buffers.OperationStatus.NeedMoreData && read > 0;
    }

    private static bool StartsWith(ReadOnlySpan<byte> head, ReadOnlySpan<byte> magic) => head.StartsWith(magic);

    private static bool At(ReadOnlySpan<byte> head, int offset, ReadOnlySpan<byte> magic) =>
        head.Length >= offset + magic.Length && head.Slice(offset, magic.Length).SequenceEqual(magic);

    private static bool ContainsAscii(ReadOnlySpan<byte> head, string text) => head.IndexOf(Encoding.ASCII.GetBytes(text)) >= 0;
}
