using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Spokes.Gifbox.Gifs;

/// <summary>
/// Checks what is asked as Stoat's Gifbox does, and answers from Redis when the same question was asked within the
/// cache's time (Stoat keeps its answers per process), from the provider otherwise. Redis being away costs a provider
/// call, never an answer.
/// </summary>
public sealed class GifService(IGifProvider provider, IConnectionMultiplexer redis, IOptions<GifboxOptions> options, ILogger<GifService> logger)
{
    public const int MaxLimit = 50;
    public const int MaxQueryLength = 100;

    public Task<PaginatedMediaResponse> SearchAsync(string? query, string? locale, int? limit, bool? isCategory, string? position, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(query) || query.Length > MaxQueryLength) throw GifboxException.FailedValidation($"query must be 1 to {MaxQueryLength} characters");
        var search = new GifSearch(query, RequireLocale(locale), RequireLimit(limit), isCategory ?? false, RequirePosition(position));
        return CachedAsync($"s:{search.Query}:{search.Locale}:{search.Limit}:{search.IsCategory}:{search.Position}", options.Value.SearchCacheTtl,
            () => provider.SearchAsync(search, cancellationToken));
    }

    public Task<PaginatedMediaResponse> TrendingAsync(string? locale, int? limit, string? position, CancellationToken cancellationToken)
    {
        var listing = new GifListing(RequireLocale(locale), RequireLimit(limit), RequirePosition(position));
        return CachedAsync($"f:{listing.Locale}:{listing.Limit}:{listing.Position}", options.Value.ListCacheTtl,
            () => provider.TrendingAsync(listing, cancellationToken));
    }

    public Task<IReadOnlyList<CategoryResponse>> CategoriesAsync(string? locale, CancellationToken cancellationToken)
    {
        var checkedLocale = RequireLocale(locale);
        return CachedAsync($"c:{checkedLocale}", options.Value.ListCacheTtl, () => provider.CategoriesAsync(checkedLocale, cancellationToken));
    }

    /// <summary>A locale as Tenor takes it: <c>en</c> or <c>en_US</c> (letters, one separator).</summary>
    private static string RequireLocale(string? locale)
    {
        if (locale is null || locale.Length is < 2 or > 10 || !locale.All(c => char.IsAsciiLetter(c) || c is '_' or '-'))
            throw GifboxException.FailedValidation("locale must be a locale such as en_US");
        return locale;
    }

    private static int RequireLimit(int? limit) => limit switch
    {
        null => MaxLimit,
        >= 1 and <= MaxLimit => limit.Value,
        _ => throw GifboxException.FailedValidation($"limit must be between 1 and {MaxLimit}"),
    };

    /// <summary>The provider's opaque next-page token, which only holds letters, digits and a few marks.</summary>
    private static string? RequirePosition(string? position) =>
        position is null || (position.Length <= 64 && position.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or ':'))
            ? position
            : throw GifboxException.FailedValidation("position is not a page token");

    private async Task<T> CachedAsync<T>(string question, TimeSpan ttl, Func<Task<T>> ask)
    {
        // The provider (and its key) is part of the question: a change of either must not answer from the old one.
        var current = options.Value;
        RedisKey key = "gifbox:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{current.Provider}:{current.Current.BaseUrl}:{question}")));
        try
        {
            if (await redis.GetDatabase().StringGetAsync(key) is { HasValue: true } hit && JsonSerializer.Deserialize<T>(hit.ToString()) is { } cached)
                return cached;
        }
        catch (Exception e) when (e is RedisException or TimeoutException or JsonException)
        {
            logger.LogWarning("The GIF cache was not read ({Error})", e.Message);
        }
        var answer = await ask();
        try
        {
            await redis.GetDatabase().StringSetAsync(key, JsonSerializer.Serialize(answer), ttl);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning("The GIF answer was not cached: Redis did not answer ({Error})", e.Message);
        }
        return answer;
    }
}
