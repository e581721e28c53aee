using System.Text.Json;
using System.Text.Json.Serialization;

namespace Spokes.January.Embeds;

/// <summary>Stoat's <c>Embed</c>: what a link shows under a message, tagged by <c>type</c>.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(WebsiteEmbed), "Website")]
[JsonDerivedType(typeof(ImageEmbed), "Image")]
[JsonDerivedType(typeof(VideoEmbed), "Video")]
[JsonDerivedType(typeof(NoEmbed), "None")]
public abstract record Embed;

/// <summary>Stoat's <c>ImageSize</c>: a large picture below the embed, or a small one beside it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ImageSize>))]
public enum ImageSize { Large, Preview }

public sealed record ImageEmbed(string Url, int Width, int Height, ImageSize Size) : Embed;

public sealed record VideoEmbed(string Url, int Width, int Height) : Embed;

/// <summary>Nothing to show; cached like any embed so the page is not fetched again, answered as <c>NoEmbedData</c>.</summary>
public sealed record NoEmbed : Embed;

/// <summary>
/// Stoat's <c>WebsiteMetadata</c>. Its image and video are declared as the derived records, so they are written as
/// Stoat's plain <c>Image</c> and <c>Video</c> objects, without a <c>type</c>.
/// </summary>
public sealed record WebsiteEmbed : Embed
{
    public string? Url { get; init; }
    public string? OriginalUrl { get; init; }
    public Special? Special { get; init; }
    public string? Title { get; init; }
    public string? Description { get; init; }
    public ImageEmbed? Image { get; init; }
    public VideoEmbed? Video { get; init; }
    public string? SiteName { get; init; }
    public string? IconUrl { get; init; }
    public string? Colour { get; init; }

    /// <summary>Stoat shows nothing for a page without a title, a description, a special kind, a video or an image.</summary>
    [JsonIgnore]
    public bool IsEmpty => string.IsNullOrEmpty(Title) && string.IsNullOrEmpty(Description) && Special is null && Video is null && Image is null;

    /// <summary>Stoat's limits on each field (<c>WebsiteMetadata::truncate</c>), in characters.</summary>
    public WebsiteEmbed Truncated() => this with
    {
        Url = Cut(Url, 256),
        OriginalUrl = Cut(OriginalUrl, 256),
        Title = Cut(Title, 100),
        Description = Cut(Description, 1000),
        SiteName = Cut(SiteName, 32),
        IconUrl = Cut(IconUrl, 256),
        Colour = Cut(Colour, 32),
    };

    // A cut never splits a surrogate pair, so the text stays valid UTF-16.
    private static string? Cut(string? value, int length)
    {
        if (value is null || value.Length <= length) return value;
        return char.IsHighSurrogate(value[length - 1]) ? value[..(length - 1)] : value[..length];
    }
}

[JsonConverter(typeof(JsonStringEnumConverter<TwitchType>))]
public enum TwitchType { Channel, Video, Clip }

[JsonConverter(typeof(JsonStringEnumConverter<BandcampType>))]
public enum BandcampType { Album, Track }

[JsonConverter(typeof(JsonStringEnumConverter<LightspeedType>))]
public enum LightspeedType { Channel }

/// <summary>Stoat's <c>Special</c>: content a client can play or show in a player of its own.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(GifSpecial), "GIF")]
[JsonDerivedType(typeof(YouTubeSpecial), "YouTube")]
[JsonDerivedType(typeof(LightspeedSpecial), "Lightspeed")]
[JsonDerivedType(typeof(TwitchSpecial), "Twitch")]
[JsonDerivedType(typeof(SpotifySpecial), "Spotify")]
[JsonDerivedType(typeof(SoundcloudSpecial), "Soundcloud")]
[JsonDerivedType(typeof(BandcampSpecial), "Bandcamp")]
[JsonDerivedType(typeof(AppleMusicSpecial), "AppleMusic")]
[JsonDerivedType(typeof(StreamableSpecial), "Streamable")]
public abstract record Special;

public sealed record GifSpecial : Special;

public sealed record YouTubeSpecial(string Id, string? CreatorName, string? CreatorUrl, string? Timestamp) : Special;

public sealed record LightspeedSpecial(LightspeedType ContentType, string Id) : Special;

public sealed record TwitchSpecial(TwitchType ContentType, string Id) : Special;

public sealed record SpotifySpecial(string ContentType, string Id) : Special;

public sealed record SoundcloudSpecial : Special;

public sealed record BandcampSpecial(BandcampType ContentType, string Id) : Special;

public sealed record AppleMusicSpecial(string AlbumId, string? TrackId) : Special;

public sealed record StreamableSpecial(string Id) : Special;

/// <summary>Stoat's wire format: snake_case, no null fields.</summary>
public static class EmbedJson
{
    public static readonly JsonSerializerOptions Options = Configure(new JsonSerializerOptions());

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        // An embed read back (from the cache, or by the Api) may carry its tag after its fields.
        options.AllowOutOfOrderMetadataProperties = true;
        return options;
    }

    public static string Serialize(Embed embed) => JsonSerializer.Serialize(embed, Options);

    public static Embed? Deserialize(string json) => JsonSerializer.Deserialize<Embed>(json, Options);
}
