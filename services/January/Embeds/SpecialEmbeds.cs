using System.Text.RegularExpressions;

namespace Spokes.January.Embeds;

/// <summary>
/// Stoat's <c>populate_special</c>: the sites whose links a client plays in a player of its own, told by the page's
/// address, and the colour Stoat gives each. The patterns are Stoat's, run by the non-backtracking engine with a
/// timeout, as they read addresses users choose.
/// </summary>
public static partial class SpecialEmbeds
{
    private const RegexOptions Options = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant;
    // A backstop only: the match is linear in a link of at most a few KB. The engine builds its states during a pattern's
    // first matches, which took over 200 ms on a busy machine and lost a message's every embed with it.
    private const int TimeoutMilliseconds = 2000;

    [GeneratedRegex(@"^(?:https?://)?(?:www\.)?streamable\.com/([\w-]+)", Options, TimeoutMilliseconds)]
    private static partial Regex Streamable();

    [GeneratedRegex(@"^(?:https?://)?(?:\w+\.)?lightspeed\.tv/([a-z0-9_]{4,25})", Options, TimeoutMilliseconds)]
    private static partial Regex Lightspeed();

    [GeneratedRegex(@"^(?:https?://)?(?:www\.|go\.)?twitch\.tv/([a-z0-9_]+)(?:$|\?)", Options, TimeoutMilliseconds)]
    private static partial Regex TwitchChannel();

    [GeneratedRegex(@"^(?:https?://)?(?:www\.|go\.)?twitch\.tv/videos/([0-9]+)(?:$|\?)", Options, TimeoutMilliseconds)]
    private static partial Regex TwitchVideo();

    [GeneratedRegex(@"^(?:https?://)?(?:www\.|go\.)?twitch\.tv/[a-z0-9_]+/clip/([A-Za-z0-9_-]+)(?:$|\?)", Options, TimeoutMilliseconds)]
    private static partial Regex TwitchClip();

    [GeneratedRegex(@"^(?:https?://)?open\.spotify\.com/(track|user|artist|album|playlist)/([A-Za-z0-9]+)", Options, TimeoutMilliseconds)]
    private static partial Regex Spotify();

    [GeneratedRegex(@"^(?:https?://)?soundcloud\.com/[a-zA-Z0-9-]+/[A-Za-z0-9-]+", Options, TimeoutMilliseconds)]
    private static partial Regex Soundcloud();

    [GeneratedRegex(@"^(?:https?://)?[A-Za-z0-9_-]+\.bandcamp\.com/(?:track|album)/[A-Za-z0-9_-]+", Options, TimeoutMilliseconds)]
    private static partial Regex Bandcamp();

    [GeneratedRegex(@"track=(\d+)", Options, TimeoutMilliseconds)]
    private static partial Regex BandcampTrack();

    [GeneratedRegex(@"album=(\d+)", Options, TimeoutMilliseconds)]
    private static partial Regex BandcampAlbum();

    [GeneratedRegex(@"^(?:https?://)?(?:www\.)?(?:gifbox\.me/view|yiffbox\.me/view|tenor\.com/view|giphy\.com/gifs|klipy\.com/gifs|gfycat\.com|redgifs\.com/watch)/[\w-]+", Options, TimeoutMilliseconds)]
    private static partial Regex Gif();

    [GeneratedRegex(@"^(?:https?://)?music\.apple\.com/(?:[a-z]{2}/)?album/[a-zA-Z0-9-]+/(\d+)(?:\?i=(\d+))?", Options, TimeoutMilliseconds)]
    private static partial Regex AppleMusic();

    [GeneratedRegex(@"^(?:(?:https?:)?//)?(?:www\.)?youtube\.com/shorts/([a-zA-Z0-9_-]+)", Options, TimeoutMilliseconds)]
    private static partial Regex YouTubeShorts();

    [GeneratedRegex(@"^(?:(?:https?:)?//)?(?:(?:www|m)\.)?(?:youtube\.com|youtu\.be)/(?:[\w-]+\?v=|embed/|v/|shorts/)?([\w-]+)(?:(?:&t|&start)=(\d+))?", Options, TimeoutMilliseconds)]
    private static partial Regex YouTube();

    [GeneratedRegex(@"^(?:(?:https?:)?//)?(?:(?:new|www)\.)?reddit\.com", Options, TimeoutMilliseconds)]
    private static partial Regex NewReddit();

    /// <summary>
    /// Stoat's rewrites before anything is fetched: a YouTube Short becomes its watch page, and new Reddit its old
    /// site, whose pages describe themselves without the new site's marketing.
    /// </summary>
    public static string Rewrite(string url)
    {
        if (NewReddit().Match(url) is { Success: true } reddit) url = "https://old.reddit.com" + url[reddit.Length..];
        if (YouTubeShorts().Match(url) is { Success: true } shorts) url = "https://youtube.com/watch?v=" + shorts.Groups[1].Value;
        return url;
    }

    /// <summary>The video id and start time of a YouTube link, whose embed Stoat builds from YouTube's oEmbed.</summary>
    public static (string Id, string? Timestamp)? YouTubeVideo(string url) =>
        YouTube().Match(url) is { Success: true } match
            ? (match.Groups[1].Value, match.Groups[2].Success ? match.Groups[2].Value : null)
            : null;

    /// <summary>The special kind of the page at <paramref name="url"/>; Bandcamp's needs its player address (<paramref name="video"/>).</summary>
    public static Special? Detect(string url, string? video)
    {
        if (Streamable().Match(url) is { Success: true } streamable) return new StreamableSpecial(streamable.Groups[1].Value);
        if (Lightspeed().Match(url) is { Success: true } lightspeed) return new LightspeedSpecial(LightspeedType.Channel, lightspeed.Groups[1].Value);
        if (TwitchChannel().Match(url) is { Success: true } channel) return new TwitchSpecial(TwitchType.Channel, channel.Groups[1].Value);
        if (TwitchVideo().Match(url) is { Success: true } twitchVideo) return new TwitchSpecial(TwitchType.Video, twitchVideo.Groups[1].Value);
        if (TwitchClip().Match(url) is { Success: true } clip) return new TwitchSpecial(TwitchType.Clip, clip.Groups[1].Value);
        if (Spotify().Match(url) is { Success: true } spotify) return new SpotifySpecial(spotify.Groups[1].Value, spotify.Groups[2].Value);
        if (Soundcloud().IsMatch(url)) return new SoundcloudSpecial();
        if (Bandcamp().IsMatch(url))
        {
            if (video is null) return null;
            if (BandcampTrack().Match(video) is { Success: true } track) return new BandcampSpecial(BandcampType.Track, track.Groups[1].Value);
            return BandcampAlbum().Match(video) is { Success: true } album ? new BandcampSpecial(BandcampType.Album, album.Groups[1].Value) : null;
        }
        if (Gif().IsMatch(url)) return new GifSpecial();
        return AppleMusic().Match(url) is { Success: true } apple
            ? new AppleMusicSpecial(apple.Groups[1].Value, apple.Groups[2].Success ? apple.Groups[2].Value : null)
            : null;
    }

    /// <summary>The colour Stoat gives each kind of special content, or null to keep the page's own.</summary>
    public static string? Colour(Special special) => special switch
    {
        YouTubeSpecial => "#FF424F",
        TwitchSpecial => "#7B68EE",
        LightspeedSpecial => "#7445D9",
        SpotifySpecial => "#1ABC9C",
        SoundcloudSpecial => "#FF7F50",
        AppleMusicSpecial => "#FA233B",
        _ => null,
    };
}
