namespace Spokes.Gifbox.Gifs;

/// <summary>A GIF search service; its answers are turned into Stoat's shapes by the provider.</summary>
public interface IGifProvider
{
    Task<PaginatedMediaResponse> SearchAsync(GifSearch search, CancellationToken cancellationToken);

    Task<PaginatedMediaResponse> TrendingAsync(GifListing listing, CancellationToken cancellationToken);

    Task<IReadOnlyList<CategoryResponse>> CategoriesAsync(string locale, CancellationToken cancellationToken);
}
