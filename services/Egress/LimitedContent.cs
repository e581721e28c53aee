using System.Buffers;
using System.Text;

namespace Spokes.Egress;

/// <summary>Reads a response body up to a cap, never holding more than the cap however long the body is.</summary>
public static class LimitedContent
{
    public static async Task CopyToLimitedAsync(this HttpContent content, Stream destination, long maxBytes, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > maxBytes) throw new EgressLimitExceededException(maxBytes);
        await using var source = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            long total = 0;
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                total += read;
                if (total > maxBytes) throw new EgressLimitExceededException(maxBytes);
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static async Task<byte[]> ReadAsBytesLimitedAsync(this HttpContent content, long maxBytes, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await content.CopyToLimitedAsync(buffer, maxBytes, cancellationToken);
        return buffer.ToArray();
    }

    /// <summary>Decoded with the charset the response declares, UTF-8 otherwise.</summary>
    public static async Task<string> ReadAsStringLimitedAsync(this HttpContent content, long maxBytes, CancellationToken cancellationToken)
    {
        var bytes = await content.ReadAsBytesLimitedAsync(maxBytes, cancellationToken);
        return EncodingOf(content).GetString(bytes);
    }

    private static Encoding EncodingOf(HttpContent content)
    {
        var charset = content.Headers.ContentType?.CharSet?.Trim('"');
        if (string.IsNullOrEmpty(charset)) return Encoding.UTF8;
        try
        {
            return Encoding.GetEncoding(charset);
        }
        catch (ArgumentException)
        {
            return Encoding.UTF8;
        }
    }
}
