using NetVips;
using VipsImage = NetVips.Image;

namespace Spokes.Autumn.Files;

/// <summary>An image's size as its header tells it, read without decoding the pixels.</summary>
public sealed record ImageHeader(int Width, int Height, int Pages)
{
    public bool Animated => Pages > 1;
}

/// <summary>
/// Images with libvips (NetVips): headers are read without decoding, so a 50,000 × 50,000 PNG is refused by its
/// size before a pixel is allocated; decoding is sequential and fails on truncated data; previews shrink on load.
/// Only libvips' fuzzed loaders are enabled (<c>vips_block_untrusted_set</c>).
/// </summary>
public static class ImageProcessing
{
    static ImageProcessing()
    {
        NetVips.NetVips.BlockUntrusted = true;
        // Operations are not memoised: a cached operation holds its decoded pixels.
        Cache.Max = 0;
    }

    /// <summary>The types taken as images, as Stoat's (metadata.rs); others, HEIC among them, are files.</summary>
    public static readonly IReadOnlySet<string> Types = new HashSet<string>(StringComparer.Ordinal)
    {
        "image/avif", "image/bmp", "image/gif", "image/vnd.microsoft.icon", "image/jpeg", "image/png", "image/tiff", "image/webp",
    };

    /// <summary>Formats whose metadata (EXIF with GPS, XMP, text chunks) is removed by writing the pixels anew,
    /// upright, keeping only the colour profile. PNG is rewritten as Stoat does (CVE-2023-21036). GIF and BMP carry
    /// no EXIF: they are only decoded to prove them whole.</summary>
    private static readonly HashSet<string> Rewritten = ["image/jpeg", "image/png", "image/webp", "image/tiff", "image/avif"];

    /// <summary>The header, or null when libvips cannot read the file as an image.</summary>
    public static ImageHeader? ReadHeader(string path)
    {
        try
        {
            using var image = VipsImage.NewFromFile(path, access: Enums.Access.Sequential);
            return HeaderOf(image);
        }
        catch (VipsException)
        {
            return null;
        }
    }

    public static ImageHeader? ReadHeader(byte[] data)
    {
        try
        {
            using var image = VipsImage.NewFromBuffer(data, access: Enums.Access.Sequential);
            return HeaderOf(image);
        }
        catch (VipsException)
        {
            return null;
        }
    }

    private static ImageHeader HeaderOf(VipsImage image)
    {
        var pages = image.Contains("n-pages") ? (int)image.Get("n-pages") : 1;
        return new ImageHeader(image.Width, image.Height, pages);
    }

    /// <summary>
    /// The bytes to store for an image within the limits: metadata stripped where the format carries it, every
    /// pixel decoded once so a truncated or corrupt image is refused (null) rather than stored.
    /// </summary>
    public static (byte[] Data, ImageHeader Header)? Sanitise(string path, string mime, ImageHeader header)
    {
        try
        {
            if (!Rewritten.Contains(mime))
            {
                using var image = VipsImage.NewFromFile(path, access: Enums.Access.Sequential, failOn: Enums.FailOn.Truncated);
                image.Avg();
                return (File.ReadAllBytes(path), header);
            }
            var pages = mime == "image/webp" && header.Animated ? "[n=-1]" : "";
            using var loaded = VipsImage.NewFromFile(path + pages, access: Enums.Access.Sequential, failOn: Enums.FailOn.Truncated);
            using var upright = header.Animated ? loaded.Copy() : loaded.Autorot();
            var data = mime switch
            {
                "image/jpeg" => upright.JpegsaveBuffer(q: 90, keep: Enums.ForeignKeep.Icc),
                "image/png" => upright.PngsaveBuffer(keep: Enums.ForeignKeep.Icc),
                "image/webp" => upright.WebpsaveBuffer(q: 90, keep: Enums.ForeignKeep.Icc),
                "image/avif" => upright.HeifsaveBuffer(q: 80, compression: Enums.ForeignHeifCompression.Av1, keep: Enums.ForeignKeep.Icc),
                _ => upright.TiffsaveBuffer(keep: Enums.ForeignKeep.Icc),
            };
            return (data, header with { Width = upright.Width, Height = header.Animated ? header.Height : upright.Height });
        }
        catch (VipsException)
        {
            return null;
        }
    }

    /// <summary>A WebP no larger than the tag's box (aspect ratio kept), of the first frame.</summary>
    public static byte[] Preview(byte[] original, FileTag tag, int quality)
    {
        using var thumbnail = VipsImage.ThumbnailBuffer(original, tag.PreviewWidth, height: tag.PreviewHeight, size: Enums.Size.Down);
        return thumbnail.WebpsaveBuffer(q: quality, keep: Enums.ForeignKeep.None);
    }
}
