using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Spokes.January.Fetching;
using Spokes.January.Media;

namespace Spokes.January.Embeds;

/// <summary>
/// Stoat's <c>generate_embed</c>: fetches a link and tells what it is — a page described by its OpenGraph, Twitter
/// card and oEmbed metadata, an image, a video — or <see cref="NoEmbed"/>. Every body is read within a cap and the
/// whole of it within <see cref="JanuaryOptions.FetchTimeout"/>.
/// </summary>
public sealed class EmbedGenerator(RemoteFetcher fetcher, IOptions<JanuaryOptions> options)
{
    private const int MaxOEmbedBytes = 64 * 1024;

    private readonly JanuaryOptions _options = options.Value;

    public async Task<Embed> GenerateAsync(Uri link, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.FetchTimeout);
        try
        {
            var url = SpecialEmbeds.Rewrite(link.AbsoluteUri);
            return SpecialEmbeds.YouTubeVideo(url) is { } video
                ? await YouTubeAsync(url, video.Id, video.Timestamp, timeout.Token)
                : await FetchAsync(RemoteFetcher.ParseLink(url), timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw JanuaryException.ProxyError();
        }
    }

    private async Task<Embed> FetchAsync(Uri url, CancellationToken cancellationToken)
    {
        using var response = await fetcher.GetAsync(url, cancellationToken);
        var mediaType = response.Content.Headers.ContentType?.MediaType?.ToLowerInvariant() ?? "";
        if (mediaType.EndsWith("/html", StringComparison.Ordinal))
        {
            var (bytes, _) = await RemoteFetcher.ReadPrefixAsync(response.Content, _options.MaxHtmlBytes, cancellationToken);
            var html = Decode(bytes, response.Content.Headers.ContentType?.CharSet);
            var page = response.RequestMessage?.RequestUri ?? url;
            return await WebsiteAsync(url, page, PageMetadata.Parse(page, html), cancellationToken) is { } website ? website : new NoEmbed();
        }
        if (mediaType.StartsWith("image/", StringComparison.Ordinal))
            return await ImageFromAsync(url.AbsoluteUri, response, cancellationToken) ?? (Embed)new NoEmbed();
        if (mediaType.StartsWith("video/", StringComparison.Ordinal))
            return await VideoFromAsync(url.AbsoluteUri, response, cancellationToken) ?? (Embed)new NoEmbed();
        return new NoEmbed();
    }

    /// <summary>Stoat's <c>create_website_embed</c>, with addresses joined to the page as a browser joins them.</summary>
    private async Task<WebsiteEmbed?> WebsiteAsync(Uri link, Uri page, PageMetadata meta, CancellationToken cancellationToken)
    {
        var image = PageMetadata.Resolve(page, meta.Meta("og:image", "og:image:secure_url", "twitter:image", "twitter:image:src")) is { } imageUrl
            ? new ImageEmbed(imageUrl.AbsoluteUri, meta.Dimension("og:image:width"), meta.Dimension("og:image:height"),
                meta.Meta("twitter:card") == "summary_large_image" ? ImageSize.Large : ImageSize.Preview)
            : null;
        var video = PageMetadata.Resolve(page, meta.Meta("og:video", "og:video:url", "og:video:secure_url")) is { } videoUrl
            ? new VideoEmbed(videoUrl.AbsoluteUri, meta.Dimension("og:video:width"), meta.Dimension("og:video:height"))
            : null;
        var website = new WebsiteEmbed
        {
            Url = meta.Meta("og:url") ?? link.AbsoluteUri,
            OriginalUrl = link.AbsoluteUri,
            Title = meta.Meta("og:title", "twitter:title", "title"),
            Description = meta.Meta("og:description", "twitter:description", "description"),
            Image = image,
            Video = video,
            SiteName = meta.Meta("og:site_name"),
            IconUrl = PageMetadata.Resolve(page, meta.Link("apple-touch-icon", "icon"))?.AbsoluteUri,
            Colour = meta.Meta("theme-color"),
        };
        if (meta.OEmbed is { } oEmbed && (website.Title is null || website.Image is null))
            website = await WithOEmbedAsync(website, oEmbed, cancellationToken);

        var special = SpecialEmbeds.Detect(website.Url ?? link.AbsoluteUri, website.Video?.Url);
        website = website with { Special = special, Colour = special is null ? website.Colour : SpecialEmbeds.Colour(special) ?? website.Colour };
        if (special is null && website.Video is { Width: 0 } or { Height: 0 })
            website = website with { Video = await ProbeOptionalAsync(website.Video!.Url, VideoFromAsync, cancellationToken) };
        // A page with a video shows the video, not its poster.
        if (website.Video is not null) website = website with { Image = null };
        if (special is null && website.Image is { Width: 0 } or { Height: 0 })
        {
            var size = website.Image!.Size;
            website = website with { Image = await ProbeOptionalAsync(website.Image.Url, ImageFromAsync, cancellationToken) is { } probed ? probed with { Size = size } : null };
        }
        website = website.Truncated();
        return website.IsEmpty ? null : website;
    }

    /// <summary>What a page's oEmbed document adds when its own tags lack a title or an image.</summary>
    private async Task<WebsiteEmbed> WithOEmbedAsync(WebsiteEmbed website, Uri oEmbed, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await fetcher.GetAsync(oEmbed, cancellationToken);
            var (bytes, whole) = await RemoteFetcher.ReadPrefixAsync(response.Content, MaxOEmbedBytes, cancellationToken);
            if (!whole) return website;
            var document = JsonSerializer.Deserialize<OEmbedDocument>(bytes, EmbedJson.Options);
            if (document is null) return website;
            var thumbnail = PageMetadata.Resolve(oEmbed, document.ThumbnailUrl);
            return website with
            {
                Title = website.Title ?? document.Title,
                SiteName = website.SiteName ?? document.ProviderName,
                Image = website.Image ?? (thumbnail is null ? null
                    : new ImageEmbed(thumbnail.AbsoluteUri, document.ThumbnailWidth ?? 0, document.ThumbnailHeight ?? 0, ImageSize.Preview)),
            };
        }
        catch (Exception e) when (e is JanuaryException or JsonException)
        {
            // The page's own tags still make an embed.
            return website;
        }
    }

    private async Task<Embed> YouTubeAsync(string url, string id, string? timestamp, CancellationToken cancellationToken)
    {
        var query = new UriBuilder(_options.YouTubeOEmbed) { Query = "format=json&url=" + Uri.EscapeDataString(url) }.Uri;
        using var response = await fetcher.GetAsync(query, cancellationToken);
        var (bytes, whole) = await RemoteFetcher.ReadPrefixAsync(response.Content, MaxOEmbedBytes, cancellationToken);
        OEmbedDocument? document;
        try
        {
            document = whole ? JsonSerializer.Deserialize<OEmbedDocument>(bytes, EmbedJson.Options) : null;
        }
        catch (JsonException)
        {
            document = null;
        }
        if (document is null) throw JanuaryException.ProxyError();
        return new WebsiteEmbed
        {
            Url = url,
            Special = new YouTubeSpecial(id, document.AuthorName, document.AuthorUrl, timestamp),
            Title = document.Title,
            SiteName = document.ProviderName,
            IconUrl = document.ThumbnailUrl,
        }.Truncated();
    }

    private async Task<TEmbed?> ProbeOptionalAsync<TEmbed>(string url, Func<string, HttpResponseMessage, CancellationToken, Task<TEmbed?>> probe,
        CancellationToken cancellationToken) where TEmbed : Embed
    {
        try
        {
            using var response = await fetcher.GetAsync(RemoteFetcher.ParseLink(url), cancellationToken);
            return await probe(url, response, cancellationToken);
        }
        catch (JanuaryException)
        {
            return null;
        }
    }

    private async Task<ImageEmbed?> ImageFromAsync(string url, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentType?.MediaType?.StartsWith("image/", StringComparison.OrdinalIgnoreCase) != true) return null;
        // The header is at the start: a prefix is enough to tell the size of an image larger than the cap.
        var (bytes, _) = await RemoteFetcher.ReadPrefixAsync(response.Content, _options.MaxImageBytes, cancellationToken);
        return ImageCodec.Dimensions(bytes) is var (width, height) ? new ImageEmbed(url, width, height, ImageSize.Large) : null;
    }

    private async Task<VideoEmbed?> VideoFromAsync(string url, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentType?.MediaType?.StartsWith("video/", StringComparison.OrdinalIgnoreCase) != true) return null;
        var (bytes, _) = await RemoteFetcher.ReadPrefixAsync(response.Content, _options.MaxVideoProbeBytes, cancellationToken);
        return VideoProbe.Dimensions(bytes) is var (width, height) ? new VideoEmbed(url, width, height) : null;
    }

    /// <summary>The page's text in the charset its Content-Type names, UTF-8 otherwise (Stoat's choice).</summary>
    private static string Decode(byte[] bytes, string? charset)
    {
        Encoding encoding;
        try
        {
            encoding = charset is { Length: > 0 } ? Encoding.GetEncoding(charset.Trim('"')) : Encoding.UTF8;
        }
        catch (ArgumentException)
        {
            encoding = Encoding.UTF8;
        }
        return encoding.GetString(bytes);
    }

    private sealed record OEmbedDocument(string? Title, string? AuthorName, string? AuthorUrl, string? ProviderName,
        string? ThumbnailUrl, int? ThumbnailWidth, int? ThumbnailHeight);
}
