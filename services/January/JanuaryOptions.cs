namespace Spokes.January;

/// <summary>January's limits (section <c>January</c>); every read of a remote body is capped by one of them.</summary>
public sealed class JanuaryOptions
{
    public const string SectionName = "January";

    /// <summary>How much of an HTML page is read: its metadata sits in its head, and the rest is never parsed.</summary>
    public int MaxHtmlBytes { get; set; } = 1024 * 1024;

    /// <summary>The largest image probed for an embed or re-encoded by the proxy.</summary>
    public int MaxImageBytes { get; set; } = 20 * 1024 * 1024;

    /// <summary>The most pixels an image may have to be decoded (a small file can claim a huge canvas).</summary>
    public long MaxImagePixels { get; set; } = 50_000_000;

    /// <summary>How much of a video is read to find its size.</summary>
    public int MaxVideoProbeBytes { get; set; } = 2 * 1024 * 1024;

    /// <summary>The largest GIF or video the proxy passes through.</summary>
    public long MaxProxiedMediaBytes { get; set; } = 100L * 1024 * 1024;

    /// <summary>The longest side of an image the proxy re-encodes (Stoat's attachment preview size).</summary>
    public int ProxyImageMaxSide { get; set; } = 1280;

    /// <summary>How long one embed may take to fetch, redirects and probes included (Stoat's 10 s).</summary>
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an embed (or the lack of one), or a proxied picture, is kept in Redis.</summary>
    public TimeSpan CacheTtl { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The largest answer of <c>/proxy</c> kept in Redis (a re-encoded image is far smaller; a GIF may not be).
    /// Videos are streamed and never kept.
    /// </summary>
    public int ProxyCacheMaxEntryBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>YouTube's oEmbed endpoint, whence Stoat builds YouTube embeds.</summary>
    public Uri YouTubeOEmbed { get; set; } = new("https://www.youtube.com/oembed");

    /// <summary>The most links of one message that get embeds (Stoat's <c>message_embeds</c>).</summary>
    public int MessageEmbeds { get; set; } = 5;

    public RequestLimitOptions RateLimit { get; set; } = new();
}

/// <summary>Requests allowed per window: per client address, and per user when a session token is sent.</summary>
public sealed class RequestLimitOptions
{
    public bool Enabled { get; set; } = true;

    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(10);

    public int PerAddress { get; set; } = 60;

    public int PerUser { get; set; } = 30;
}
