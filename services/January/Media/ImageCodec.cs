using NetVips;

namespace Spokes.January.Media;

/// <summary>Images read and re-encoded with libvips, which reads only the header to tell an image's size.</summary>
public static class ImageCodec
{
    static ImageCodec()
    {
        // Every image is seen once: libvips' operation cache would only hold memory.
        Cache.Max = 0;
        Cache.MaxMem = 0;
        Cache.MaxFiles = 0;
    }

    /// <summary>Width and height from the image's header; null for bytes that are no image libvips reads.</summary>
    public static (int Width, int Height)? Dimensions(byte[] data)
    {
        try
        {
            using var image = Image.NewFromBuffer(data, access: Enums.Access.Sequential);
            return image.Width > 0 && image.Height > 0 ? (image.Width, image.Height) : null;
        }
        catch (VipsException)
        {
            return null;
        }
    }

    /// <summary>True when the bytes are a GIF that decodes from start to end.</summary>
    public static bool IsValidGif(byte[] data, long maxPixels)
    {
        if (data.Length < 6 || !(data.AsSpan(0, 6).SequenceEqual("GIF87a"u8) || data.AsSpan(0, 6).SequenceEqual("GIF89a"u8))) return false;
        try
        {
            using var image = Image.GifloadBuffer(data, n: 1, failOn: Enums.FailOn.Error);
            if ((long)image.Width * image.Height > maxPixels) return false;
            return image.Avg() >= 0;
        }
        catch (VipsException)
        {
            return false;
        }
    }

    /// <summary>
    /// The image as WebP, its longer side at most <paramref name="maxSide"/>; null when it is no image, or claims
    /// more than <paramref name="maxPixels"/> pixels (checked on the header, before anything is decoded).
    /// </summary>
    public static byte[]? ToWebp(byte[] data, int maxSide, long maxPixels)
    {
        try
        {
            using (var header = Image.NewFromBuffer(data, access: Enums.Access.Sequential))
            {
                if (header.Width <= 0 || header.Height <= 0 || (long)header.Width * header.Height > maxPixels) return null;
            }
            using var thumbnail = Image.ThumbnailBuffer(data, maxSide, height: maxSide, size: Enums.Size.Down, failOn: Enums.FailOn.Error);
            return thumbnail.WebpsaveBuffer(q: 80, keep: Enums.ForeignKeep.None);
        }
        catch (VipsException)
        {
            return null;
        }
    }
}
