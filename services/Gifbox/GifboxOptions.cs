namespace Spokes.Gifbox;

/// <summary>Gifbox's settings (section <c>Gifbox</c>): which GIF provider answers, and its key.</summary>
public sealed class GifboxOptions
{
    public const string SectionName = "Gifbox";

    /// <summary><c>tenor</c> or <c>klipy</c>.</summary>
    public string Provider { get; set; } = "klipy";

    public GifProviderOptions Tenor { get; set; } = new() { BaseUrl = new Uri("https://tenor.googleapis.com/v2/") };

    /// <summary>Klipy's Tenor-compatible API, which Stoat's own Gifbox calls (through gifbox.me).</summary>
    public GifProviderOptions Klipy { get; set; } = new() { BaseUrl = new Uri("https://api.klipy.com/v2/") };

    public TimeSpan SearchCacheTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Categories and trending change slowly: Stoat keeps them a day.</summary>
    public TimeSpan ListCacheTtl { get; set; } = TimeSpan.FromDays(1);

    public bool RateLimitEnabled { get; set; } = true;

    public GifProviderOptions Current => Provider.Equals("tenor", StringComparison.OrdinalIgnoreCase) ? Tenor : Klipy;
}

public sealed class GifProviderOptions
{
    public required Uri BaseUrl { get; set; }

    /// <summary>The provider's API key; without one Gifbox answers <c>FeatureDisabled</c>.</summary>
    public string? Key { get; set; }
}
