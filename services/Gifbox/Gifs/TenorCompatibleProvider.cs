using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Spokes.Egress;

namespace Spokes.Gifbox.Gifs;

/// <summary>
/// Tenor's v2 API, and Klipy's API that speaks it: the requests Stoat's Gifbox makes (WebM formats, a strict content
/// filter), through the egress client, the answer read within a cap.
/// </summary>
public sealed class TenorCompatibleProvider(IHttpClientFactory clients, IOptions<GifboxOptions> options) : IGifProvider
{
    public const string ClientName = "gifbox";

    private const int MaxAnswerBytes = 4 * 1024 * 1024;

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public async Task<PaginatedMediaResponse> SearchAsync(GifSearch search, CancellationToken cancellationToken)
    {
        var query = Common(search.Locale);
        query["q"] = search.Query;
        query["media_filter"] = "webm,tinywebm";
        query["limit"] = search.Limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!string.IsNullOrEmpty(search.Position)) query["pos"] = search.Position;
        if (search.IsCategory) query["component"] = "categories";
        return Page(await GetAsync<TenorPage>("search", query, cancellationToken));
    }

    public async Task<PaginatedMediaResponse> TrendingAsync(GifListing listing, CancellationToken cancellationToken)
    {
        var query = Common(listing.Locale);
        query["media_filter"] = "webm,tinywebm";
        query["limit"] = listing.Limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!string.IsNullOrEmpty(listing.Position)) query["pos"] = listing.Position;
        return Page(await GetAsync<TenorPage>("featured", query, cancellationToken));
    }

    public async Task<IReadOnlyList<CategoryResponse>> CategoriesAsync(string locale, CancellationToken cancellationToken) =>
        (await GetAsync<TenorCategories>("categories", Common(locale), cancellationToken)).Tags?
            .Select(t => new CategoryResponse(t.Searchterm, t.Image)).ToList() ?? [];

    private Dictionary<string, string?> Common(string locale) => new()
    {
        ["key"] = options.Value.Current.Key is { Length: > 0 } key ? key : throw GifboxException.Disabled(),
        ["client_key"] = "Gifbox",
        ["locale"] = locale,
        ["contentfilter"] = "high",
    };

    private static PaginatedMediaResponse Page(TenorPage page) => new(
        (page.Results ?? []).Select(r => new MediaResult(r.Id,
            (r.MediaFormats ?? new Dictionary<string, TenorFormat>()).ToDictionary(f => f.Key, f => new MediaObject(f.Value.Url, f.Value.Dims ?? [])),
            r.Url ?? "")).ToList(),
        string.IsNullOrEmpty(page.Next) ? null : page.Next);

    private async Task<T> GetAsync<T>(string path, Dictionary<string, string?> query, CancellationToken cancellationToken)
    {
        // The base is a folder, whether or not its setting ends in a slash.
        var root = options.Value.Current.BaseUrl.AbsoluteUri.TrimEnd('/') + "/";
        var url = QueryHelpers.AddQueryString(root + path, query);
        try
        {
            using var response = await clients.CreateClient(ClientName).GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode) throw GifboxException.ProviderFailed();
            var body = await response.Content.ReadAsBytesLimitedAsync(MaxAnswerBytes, cancellationToken);
            return JsonSerializer.Deserialize<T>(body, Json) ?? throw GifboxException.ProviderFailed();
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or EgressLimitExceededException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw GifboxException.ProviderFailed();
        }
    }
}
