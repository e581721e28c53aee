using Microsoft.Extensions.Options;
using Spokes.January.Embeds;
using Spokes.January.Fetching;
using Spokes.January.Limits;

namespace Spokes.January.Media;

/// <summary>
/// Stoat's <c>GET /proxy</c>: an image re-encoded to WebP no larger than Stoat's attachment preview, a GIF or a video
/// checked and passed through, anything else <c>FileTypeNotAllowed</c>. Bodies are capped; a video is streamed, so a
/// large one never sits in memory. Pictures are answered from <see cref="ProxyCache"/> when it has them.
/// </summary>
public static class ProxyApi
{
    /// <summary>Stoat's January's caching of proxied media.</summary>
    public const string CacheControl = "public, max-age=600, immutable";

    public static IEndpointRouteBuilder MapProxyApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/proxy", Proxy).WithName("january_proxy").WithSummary("Proxy an image, GIF or video")
            .AddEndpointFilter(new RequestLimitFilter("proxy"));
        return app;
    }

    private static async Task Proxy(string? url, HttpContext context, RemoteFetcher fetcher, ProxyCache cache, IOptions<JanuaryOptions> options,
        CancellationToken cancellationToken)
    {
        var link = RemoteFetcher.ParseLink(url);
        if (await cache.GetAsync(link) is { } cached)
        {
            await WriteAsync(context, cached, cancellationToken);
            return;
        }
        var limits = options.Value;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limits.FetchTimeout);
        try
        {
            using var response = await fetcher.GetAsync(link, timeout.Token);
            var mediaType = response.Content.Headers.ContentType?.MediaType?.ToLowerInvariant() ?? "";
            if (mediaType == "image/gif")
            {
                var gif = await ReadWholeAsync(response.Content, limits.MaxImageBytes, timeout.Token);
                if (!ImageCodec.IsValidGif(gif, limits.MaxImagePixels)) throw JanuaryException.FileTypeNotAllowed();
                await WriteAsync(context, await CachedAsync(cache, link, new ProxyCache.Entry("image/gif", gif)), cancellationToken);
            }
            else if (mediaType.StartsWith("image/", StringComparison.Ordinal))
            {
                var image = await ReadWholeAsync(response.Content, limits.MaxImageBytes, timeout.Token);
                var webp = ImageCodec.ToWebp(image, limits.ProxyImageMaxSide, limits.MaxImagePixels) ?? throw JanuaryException.FileTypeNotAllowed();
                await WriteAsync(context, await CachedAsync(cache, link, new ProxyCache.Entry("image/webp", webp)), cancellationToken);
            }
            else if (mediaType.StartsWith("video/", StringComparison.Ordinal))
            {
                await StreamVideoAsync(context, response, mediaType, limits, timeout.Token);
            }
            else
            {
                throw JanuaryException.FileTypeNotAllowed();
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested && !context.Response.HasStarted)
        {
            throw JanuaryException.ProxyError();
        }
    }

    /// <summary>
    /// The start of the video is read and probed before anything is sent; the rest is copied as it comes, and the
    /// answer is cut off should the video run past <see cref="JanuaryOptions.MaxProxiedMediaBytes"/>.
    /// </summary>
    private static async Task StreamVideoAsync(HttpContext context, HttpResponseMessage response, string mediaType, JanuaryOptions limits, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength > limits.MaxProxiedMediaBytes) throw TooLarge(limits.MaxProxiedMediaBytes);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var head = new byte[limits.MaxVideoProbeBytes];
        var read = 0;
        int count;
        while (read < head.Length && (count = await body.ReadAsync(head.AsMemory(read), cancellationToken)) > 0) read += count;
        if (VideoProbe.Dimensions(head.AsSpan(0, read)) is null) throw JanuaryException.FileTypeNotAllowed();

        SetHeaders(context, mediaType);
        if (response.Content.Headers.ContentLength is { } length) context.Response.ContentLength = length;
        await context.Response.Body.WriteAsync(head.AsMemory(0, read), cancellationToken);
        long sent = read;
        var buffer = new byte[81920];
        while ((count = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            sent += count;
            if (sent > limits.MaxProxiedMediaBytes)
            {
                context.Abort();
                return;
            }
            await context.Response.Body.WriteAsync(buffer.AsMemory(0, count), cancellationToken);
        }
    }

    private static async Task<byte[]> ReadWholeAsync(HttpContent content, int maxBytes, CancellationToken cancellationToken)
    {
        var (bytes, whole) = await RemoteFetcher.ReadPrefixAsync(content, maxBytes, cancellationToken);
        return whole ? bytes : throw TooLarge(maxBytes);
    }

    private static JanuaryException TooLarge(long maxBytes) => new("FileTooLarge", new Dictionary<string, object> { ["max"] = maxBytes });

    private static async Task<ProxyCache.Entry> CachedAsync(ProxyCache cache, Uri link, ProxyCache.Entry entry)
    {
        await cache.SetAsync(link, entry);
        return entry;
    }

    private static async Task WriteAsync(HttpContext context, ProxyCache.Entry entry, CancellationToken cancellationToken)
    {
        SetHeaders(context, entry.ContentType);
        context.Response.ContentLength = entry.Body.Length;
        await context.Response.Body.WriteAsync(entry.Body, cancellationToken);
    }

    private static void SetHeaders(HttpContext context, string contentType)
    {
        context.Response.ContentType = contentType;
        context.Response.Headers.ContentDisposition = "inline";
        context.Response.Headers.CacheControl = CacheControl;
    }
}
