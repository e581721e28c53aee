namespace Spokes.Gifbox.Gifs;

// Stoat's Gifbox answers (crates/services/gifbox/src/types.rs).

public sealed record PaginatedMediaResponse(IReadOnlyList<MediaResult> Results, string? Next);

public sealed record MediaResult(string Id, IReadOnlyDictionary<string, MediaObject> MediaFormats, string Url);

public sealed record MediaObject(string Url, IReadOnlyList<long> Dimensions);

public sealed record CategoryResponse(string Title, string Image);

// The provider's answers, in Tenor v2's shape, which Klipy's compatible API speaks too.

internal sealed record TenorPage(IReadOnlyList<TenorMedia>? Results, string? Next);

internal sealed record TenorMedia(string Id, IReadOnlyDictionary<string, TenorFormat>? MediaFormats, string? Url);

internal sealed record TenorFormat(string Url, IReadOnlyList<long>? Dims);

internal sealed record TenorCategories(IReadOnlyList<TenorCategory>? Tags);

internal sealed record TenorCategory(string Searchterm, string Image);

/// <summary>What one search asks: Stoat's query parameters.</summary>
public sealed record GifSearch(string Query, string Locale, int Limit, bool IsCategory, string? Position);

public sealed record GifListing(string Locale, int Limit, string? Position);
