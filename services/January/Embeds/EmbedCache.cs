using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Spokes.January.Embeds;

/// <summary>
/// Embeds kept in Redis for <see cref="JanuaryOptions.CacheTtl"/>, shared by every January replica; a link that makes
/// no embed is kept too, so it is not fetched again meanwhile. Redis being away costs a fetch, never an answer.
/// </summary>
public sealed class EmbedCache(IConnectionMultiplexer redis, IOptions<JanuaryOptions> options, ILogger<EmbedCache> logger)
{
    public async Task<Embed?> GetAsync(Uri link)
    {
        try
        {
            var value = await redis.GetDatabase().StringGetAsync(Key(link));
            return value.HasValue ? EmbedJson.Deserialize(value.ToString()) : null;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning("The embed cache was not read: Redis did not answer ({Error})", e.Message);
            return null;
        }
    }

    public async Task SetAsync(Uri link, Embed embed)
    {
        try
        {
            await redis.GetDatabase().StringSetAsync(Key(link), EmbedJson.Serialize(embed), options.Value.CacheTtl);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning("The embed was not cached: Redis did not answer ({Error})", e.Message);
        }
    }

    // Hashed: a link is up to 2 KB of a user's text, a key should be short and without spaces.
    private static RedisKey Key(Uri link) => "january:embed:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(link.AbsoluteUri)));
}
