using Spokes.January.Fetching;

namespace Spokes.January.Embeds;

/// <summary>The embed of a link: from the cache, or generated and cached.</summary>
public sealed class EmbedService(EmbedCache cache, EmbedGenerator generator)
{
    public async Task<Embed> GetAsync(string? url, CancellationToken cancellationToken)
    {
        var link = RemoteFetcher.ParseLink(url);
        if (await cache.GetAsync(link) is { } cached) return cached;
        var embed = await generator.GenerateAsync(link, cancellationToken);
        await cache.SetAsync(link, embed);
        return embed;
    }
}
