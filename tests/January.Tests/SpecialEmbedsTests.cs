using Spokes.January.Embeds;

namespace Spokes.January.Tests;

/// <summary>Stoat's <c>populate_special</c> and its rewrites, and the video header probe, on their own.</summary>
public sealed class SpecialEmbedsTests
{
    [Theory]
    [InlineData("https://streamable.com/abc123", "Streamable")]
    [InlineData("https://lightspeed.tv/someone", "Lightspeed")]
    [InlineData("https://www.twitch.tv/channelname", "Twitch")]
    [InlineData("https://twitch.tv/videos/123456", "Twitch")]
    [InlineData("https://twitch.tv/someone/clip/FunnyClip-1", "Twitch")]
    [InlineData("https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC", "Spotify")]
    [InlineData("https://soundcloud.com/artist/a-track", "Soundcloud")]
    [InlineData("https://tenor.com/view/wave-hello-123", "GIF")]
    [InlineData("https://klipy.com/gifs/wave-1", "GIF")]
    [InlineData("https://music.apple.com/us/album/an-album/123?i=456", "AppleMusic")]
    public void Special_sites_are_told_by_their_address(string url, string type)
    {
        var special = SpecialEmbeds.Detect(url, null);

        Assert.NotNull(special);
        Assert.Contains($"\"special\":{{\"type\":\"{type}\"", EmbedJson.Serialize(new WebsiteEmbed { Special = special }));
    }

    [Fact]
    public void Special_kinds_carry_Stoats_fields_and_colours()
    {
        Assert.Equal(new TwitchSpecial(TwitchType.Clip, "FunnyClip-1"), SpecialEmbeds.Detect("https://twitch.tv/someone/clip/FunnyClip-1", null));
        Assert.Equal(new SpotifySpecial("track", "4uLU6hMCjMI75M1A2tKUQC"), SpecialEmbeds.Detect("https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC", null));
        Assert.Equal(new AppleMusicSpecial("123", "456"), SpecialEmbeds.Detect("https://music.apple.com/us/album/an-album/123?i=456", null));
        Assert.Equal(new BandcampSpecial(BandcampType.Track, "42"),
            SpecialEmbeds.Detect("https://artist.bandcamp.com/track/song", "https://bandcamp.com/EmbeddedPlayer/v=2/track=42/"));
        Assert.Null(SpecialEmbeds.Detect("https://artist.bandcamp.com/track/song", null));
        Assert.Null(SpecialEmbeds.Detect("https://example.com/", null));
        Assert.Equal("#7B68EE", SpecialEmbeds.Colour(new TwitchSpecial(TwitchType.Channel, "x")));
        Assert.Equal("""{"type":"Website","special":{"type":"Twitch","content_type":"Clip","id":"c"}}""",
            EmbedJson.Serialize(new WebsiteEmbed { Special = new TwitchSpecial(TwitchType.Clip, "c") }));
    }

    [Theory]
    [InlineData("https://www.youtube.com/shorts/abc_123", "https://youtube.com/watch?v=abc_123")]
    [InlineData("https://www.reddit.com/r/x/comments/1", "https://old.reddit.com/r/x/comments/1")]
    [InlineData("https://example.com/", "https://example.com/")]
    public void Shorts_and_new_Reddit_are_rewritten_as_Stoat_rewrites_them(string url, string expected)
    {
        Assert.Equal(expected, SpecialEmbeds.Rewrite(url));
    }

    [Theory]
    [InlineData("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "dQw4w9WgXcQ", null)]
    [InlineData("https://youtu.be/dQw4w9WgXcQ", "dQw4w9WgXcQ", null)]
    [InlineData("https://m.youtube.com/watch?v=dQw4w9WgXcQ&t=30", "dQw4w9WgXcQ", "30")]
    public void YouTube_links_give_their_video_and_start(string url, string id, string? timestamp)
    {
        Assert.Equal((id, timestamp), SpecialEmbeds.YouTubeVideo(url));
    }

    [Fact]
    public void A_video_size_is_read_from_the_header_of_an_MP4_or_a_WebM_and_not_from_other_bytes()
    {
        Assert.Equal((1920, 1080), VideoProbe.Dimensions(TestMedia.Mp4(1920, 1080)));
        Assert.Equal((320, 240), VideoProbe.Dimensions(TestMedia.WebM(320, 240)));
        Assert.Null(VideoProbe.Dimensions(new byte[100]));
        Assert.Null(VideoProbe.Dimensions(TestMedia.Mp4(1920, 1080).AsSpan(0, 40)));
    }

    [Fact]
    public void Website_fields_are_cut_to_Stoats_lengths_without_splitting_a_character()
    {
        var embed = new WebsiteEmbed { Title = new string('a', 99) + "😀", Description = new string('d', 1500), SiteName = new string('s', 40) }.Truncated();

        Assert.Equal(99, embed.Title!.Length);
        Assert.Equal(1000, embed.Description!.Length);
        Assert.Equal(32, embed.SiteName!.Length);
    }
}
