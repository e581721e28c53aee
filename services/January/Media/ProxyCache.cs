using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Spokes.January.Media;

/// <summary>
/// What <c>/proxy</c> answered for a link — a re-encoded image or a checked GIF — kept in Redis for
/// <see cref="JanuaryOptions.CacheTtl"/>, so a picture many clients show is fetched and re-encoded once. An answer
/// past <see cref="JanuaryOptions.ProxyCacheMaxEntryBytes"/> is not kept. Redis being away costs a fetch, never an answer.
/// </summary>
public sealed class ProxyCache(IConnectionMultiplexer redis, IOptions<JanuaryOptions> options, ILogger<ProxyCache> logger)
{
    /// <summary>A cached answer: its media type and its body.</summary>
    public sealed record Entry(string ContentType, byte[] Body);

    // Stored as one value, "<media type>\n<body>", so an entry is read and expires whole.
    private const byte Separator = (byte)'\n';

    public async Task<Entry?> GetAsync(Uri link)
    {
        try
        {
            byte[]? value = await redis.GetDatabase().StringGetAsync(Key(link));
            if (value is null || Array.IndexOf(value, Separator) is not (> 0 and var split)) return null;
            return new Entry(Encoding.ASCII.GetString(value, 0, split), value[(split + 1)..]);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning("The proxy cache was not read: Redis did not answer ({Error})", e.Message);
            return null;
        }
    }

    public async Task SetAsync(Uri link, Entry entry)
    {
        if (entry.Body.Length > options.Value.ProxyCacheMaxEntryBytes) return;
        var type = Encoding.ASCII.GetBytes(entry.ContentType);
        var value = new byte[type.Length + 1 + entry.Body.Length];
        type.CopyTo(value, 0);
        value[type.Length] = Separator;
        entry.Body.CopyTo(value, type.Length + 1);
        try
        {
            await redis.GetDatabase().StringSetAsync(Key(link), value, options.Value.CacheTtl);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning("The proxied media was not cached: Redis did not answer ({Error})", e.Message);
        }
    }

    // Hashed: a link is up to 2 KB of a user's text, a key should be short and without spaces.
    private static RedisKey Key(Uri link) => "january:proxy:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(link.AbsoluteUri)));
}
