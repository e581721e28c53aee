using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Spokes.January.Tests;

/// <summary>GET /embed against the test's own pages, through the real January process.</summary>
[Collection(JanuaryCollection.Name)]
public sealed class EmbedTests(JanuaryServer january)
{
    private async Task<(HttpStatusCode Status, JsonElement Body)> EmbedAsync(string url)
    {
        using var response = await january.Http.GetAsync($"{january.Url}/embed?url={Uri.EscapeDataString(url)}");
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    [Fact]
    public async Task An_OpenGraph_page_becomes_a_website_embed()
    {
        var (status, embed) = await EmbedAsync(january.Pages.Url("/opengraph"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Website", embed.GetProperty("type").GetString());
        Assert.Equal(january.Pages.Url("/opengraph"), embed.GetProperty("url").GetString());
        Assert.Equal(january.Pages.Url("/opengraph"), embed.GetProperty("original_url").GetString());
        Assert.Equal("An OpenGraph page", embed.GetProperty("title").GetString());
        Assert.Equal("Described by OpenGraph", embed.GetProperty("description").GetString());
        Assert.Equal("Test Site", embed.GetProperty("site_name").GetString());
        Assert.Equal("#123456", embed.GetProperty("colour").GetString());
        Assert.Equal(january.Pages.Url("/favicon.ico"), embed.GetProperty("icon_url").GetString());
        var image = embed.GetProperty("image");
        Assert.Equal(january.Pages.Url("/image.png"), image.GetProperty("url").GetString());
        Assert.Equal(640, image.GetProperty("width").GetInt32());
        Assert.Equal(480, image.GetProperty("height").GetInt32());
        Assert.Equal("Preview", image.GetProperty("size").GetString());
        Assert.False(image.TryGetProperty("type", out _));
    }

    [Fact]
    public async Task A_Twitter_card_gives_a_large_image_whose_size_is_read_from_the_image()
    {
        var (status, embed) = await EmbedAsync(january.Pages.Url("/twitter"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("A Twitter card", embed.GetProperty("title").GetString());
        Assert.Equal("Described by a card", embed.GetProperty("description").GetString());
        var image = embed.GetProperty("image");
        Assert.Equal(64, image.GetProperty("width").GetInt32());
        Assert.Equal(32, image.GetProperty("height").GetInt32());
        Assert.Equal("Large", image.GetProperty("size").GetString());
    }

    [Fact]
    public async Task A_page_without_tags_of_its_own_is_described_by_its_oEmbed_document()
    {
        var (status, embed) = await EmbedAsync(january.Pages.Url("/oembed-page"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Told by oEmbed", embed.GetProperty("title").GetString());
        Assert.Equal("Provider", embed.GetProperty("site_name").GetString());
        Assert.Equal(january.Pages.Url("/image.png"), embed.GetProperty("image").GetProperty("url").GetString());
        Assert.Equal(64, embed.GetProperty("image").GetProperty("width").GetInt32());
    }

    [Fact]
    public async Task A_page_with_a_video_shows_the_video_sized_from_its_file_and_not_its_image()
    {
        var (_, embed) = await EmbedAsync(january.Pages.Url("/video-page"));

        var video = embed.GetProperty("video");
        Assert.Equal(january.Pages.Url("/video.mp4"), video.GetProperty("url").GetString());
        Assert.Equal(1280, video.GetProperty("width").GetInt32());
        Assert.Equal(720, video.GetProperty("height").GetInt32());
        Assert.False(embed.TryGetProperty("image", out _));
    }

    [Fact]
    public async Task An_image_becomes_an_image_embed_with_its_size()
    {
        var (status, embed) = await EmbedAsync(january.Pages.Url("/image.png"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Image", embed.GetProperty("type").GetString());
        Assert.Equal(64, embed.GetProperty("width").GetInt32());
        Assert.Equal(32, embed.GetProperty("height").GetInt32());
        Assert.Equal("Large", embed.GetProperty("size").GetString());
    }

    [Theory]
    [InlineData("/video.mp4", 1280, 720)]
    [InlineData("/video.webm", 320, 240)]
    public async Task A_video_becomes_a_video_embed_with_its_size(string path, int width, int height)
    {
        var (status, embed) = await EmbedAsync(january.Pages.Url(path));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Video", embed.GetProperty("type").GetString());
        Assert.Equal(width, embed.GetProperty("width").GetInt32());
        Assert.Equal(height, embed.GetProperty("height").GetInt32());
    }

    [Fact]
    public async Task A_YouTube_link_is_described_by_YouTubes_oEmbed_without_fetching_the_page()
    {
        var (status, embed) = await EmbedAsync("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("A video", embed.GetProperty("title").GetString());
        Assert.Equal("YouTube", embed.GetProperty("site_name").GetString());
        var special = embed.GetProperty("special");
        Assert.Equal("YouTube", special.GetProperty("type").GetString());
        Assert.Equal("dQw4w9WgXcQ", special.GetProperty("id").GetString());
        Assert.Equal("42", special.GetProperty("timestamp").GetString());
        Assert.Equal("Creator", special.GetProperty("creator_name").GetString());
    }

    [Theory]
    [InlineData("/text")]
    [InlineData("/bare")]
    public async Task A_link_that_shows_nothing_is_NoEmbedData(string path)
    {
        var (status, error) = await EmbedAsync(january.Pages.Url(path));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("NoEmbedData", error.GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_huge_page_is_read_only_up_to_the_cap_and_still_described_by_its_head()
    {
        var clock = Stopwatch.StartNew();
        var (status, embed) = await EmbedAsync(january.Pages.Url("/huge"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("A huge page", embed.GetProperty("title").GetString());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_slow_page_is_given_up_on_after_the_timeout()
    {
        var clock = Stopwatch.StartNew();
        var (status, error) = await EmbedAsync(january.Pages.Url("/slow"));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("ProxyError", error.GetProperty("type").GetString());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_redirect_chain_is_followed_to_the_page_it_ends_on()
    {
        var (status, embed) = await EmbedAsync(january.Pages.Url("/chain/3"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("An OpenGraph page", embed.GetProperty("title").GetString());
        Assert.Equal(january.Pages.Url("/image.png"), embed.GetProperty("image").GetProperty("url").GetString());
    }

    [Fact]
    public async Task More_than_five_redirects_are_not_followed()
    {
        var (status, error) = await EmbedAsync(january.Pages.Url("/chain/7"));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("ProxyError", error.GetProperty("type").GetString());
    }

    [Fact]
    public async Task An_embed_is_served_from_the_cache_the_second_time()
    {
        var page = "/opengraph?cached=" + Guid.NewGuid().ToString("N");

        var (first, _) = await EmbedAsync(january.Pages.Url(page));
        var (second, embed) = await EmbedAsync(january.Pages.Url(page));

        Assert.Equal(HttpStatusCode.OK, first);
        Assert.Equal(HttpStatusCode.OK, second);
        Assert.Equal("An OpenGraph page", embed.GetProperty("title").GetString());
        Assert.Equal(1, january.Pages.HitsOf(page));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a url")]
    [InlineData("/relative")]
    public async Task A_url_that_is_not_an_absolute_address_is_refused(string url)
    {
        var (status, error) = await EmbedAsync(url);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("FailedValidation", error.GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("ftp://127.0.0.1/file")]
    [InlineData("file:///etc/passwd")]
    public async Task A_scheme_other_than_http_is_refused(string url)
    {
        var (status, error) = await EmbedAsync(url);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("InvalidOperation", error.GetProperty("type").GetString());
    }
}
