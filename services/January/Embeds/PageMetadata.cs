using AngleSharp.Html.Parser;

namespace Spokes.January.Embeds;

/// <summary>
/// What an HTML page says about itself: its <c>&lt;meta&gt;</c> tags by <c>property</c> or <c>name</c> (the first of
/// each wins, as in Stoat), its <c>&lt;link rel&gt;</c> targets (the last wins) and the JSON oEmbed document it
/// points to. Parsed with an HTML5 parser, so markup in any state reads as a browser reads it.
/// </summary>
public sealed class PageMetadata
{
    private readonly Dictionary<string, string> _meta;
    private readonly Dictionary<string, string> _links;

    private PageMetadata(Uri page, Dictionary<string, string> meta, Dictionary<string, string> links, Uri? oEmbed)
    {
        Page = page;
        _meta = meta;
        _links = links;
        OEmbed = oEmbed;
    }

    public Uri Page { get; }

    /// <summary>The page's JSON oEmbed document (<c>&lt;link rel="alternate" type="application/json+oembed"&gt;</c>), if any.</summary>
    public Uri? OEmbed { get; }

    public static PageMetadata Parse(Uri page, string html)
    {
        var document = new HtmlParser().ParseDocument(html);
        var meta = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var element in document.QuerySelectorAll("meta"))
        {
            var key = element.GetAttribute("property") ?? element.GetAttribute("name");
            if (key is not null && element.GetAttribute("content") is { } content) meta.TryAdd(key.Trim(), content);
        }
        var links = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        Uri? oEmbed = null;
        foreach (var element in document.QuerySelectorAll("link"))
        {
            if (element.GetAttribute("rel") is not { } rel || element.GetAttribute("href") is not { } href) continue;
            links[rel.Trim()] = href;
            if (oEmbed is null && string.Equals(element.GetAttribute("type")?.Trim(), "application/json+oembed", StringComparison.OrdinalIgnoreCase))
                oEmbed = Resolve(page, href);
        }
        return new PageMetadata(page, meta, links, oEmbed);
    }

    /// <summary>The first of <paramref name="keys"/> the page has, trimmed.</summary>
    public string? Meta(params ReadOnlySpan<string> keys)
    {
        foreach (var key in keys)
            if (_meta.TryGetValue(key, out var value)) return value.Trim();
        return null;
    }

    public string? Link(params ReadOnlySpan<string> rels)
    {
        foreach (var rel in rels)
            if (_links.TryGetValue(rel, out var value)) return value.Trim();
        return null;
    }

    /// <summary>A number the page gives, or 0 (Stoat's "unknown") when it gives none or nonsense.</summary>
    public int Dimension(string key) =>
        int.TryParse(Meta(key), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : 0;

    /// <summary>
    /// An address the page names, made absolute against the page (Stoat only joins ones that start with <c>/</c>);
    /// null unless it is http or https.
    /// </summary>
    public static Uri? Resolve(Uri page, string? reference) =>
        reference is { Length: > 0 } && Uri.TryCreate(page, reference.Trim(), out var absolute) && absolute.Scheme is "http" or "https"
            ? absolute
            : null;
}
