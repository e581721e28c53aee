using System.Net;
using System.Text.Json;

namespace Spokes.January.Tests;

/// <summary>GET /proxy: images re-encoded, GIFs and videos checked and passed through, anything else refused.</summary>
[Collection(JanuaryCollection.Name)]
public sealed class ProxyTests(JanuaryServer january)
{
    private Task<HttpResponseMessage> ProxyAsync(string path) =>
        january.Http.GetAsync($"{january.Url}/proxy?url={Uri.EscapeDataString(january.Pages.Url(path))}");

    [Fact]
    public async Task An_image_is_re_encoded_to_WebP_with_Stoats_cache_headers()
    {
        using var response = await ProxyAsync("/image.png");
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/webp", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("public, max-age=600, immutable", response.Headers.CacheControl?.ToString());
        Assert.Equal("inline", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("RIFF", System.Text.Encoding.ASCII.GetString(body, 0, 4));
        Assert.Equal("WEBP", System.Text.Encoding.ASCII.GetString(body, 8, 4));
    }

    [Fact]
    public async Task A_GIF_is_passed_through_unchanged()
    {
        using var response = await ProxyAsync("/anim.gif");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/gif", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TestMedia.Gif, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_video_is_passed_through_unchanged()
    {
        using var response = await ProxyAsync("/video.mp4");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("video/mp4", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TestMedia.Mp4(1280, 720, padding: 4096), await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("/text")]
    [InlineData("/opengraph")]
    [InlineData("/fake.gif")]
    [InlineData("/not-a-video.mp4")]
    public async Task Anything_else_is_FileTypeNotAllowed(string path)
    {
        using var response = await ProxyAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("FileTypeNotAllowed", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("/image.png", "image/webp")]
    [InlineData("/anim.gif", "image/gif")]
    public async Task Proxied_twice_a_picture_is_fetched_from_its_origin_once_and_answered_alike(string path, string mediaType)
    {
        // A query of its own, so this test's hits are told apart from other tests' of the same picture.
        var unique = $"{path}?cache={Guid.NewGuid():N}";
        using var first = await ProxyAsync(unique);
        using var second = await ProxyAsync(unique);

        Assert.Equal(1, january.Pages.HitsOf(unique));
        foreach (var response in new[] { first, second })
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("public, max-age=600, immutable", response.Headers.CacheControl?.ToString());
            Assert.Equal("inline", response.Content.Headers.ContentDisposition?.DispositionType);
        }
        Assert.Equal(await first.Content.ReadAsByteArrayAsync(), await second.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_video_is_streamed_each_time_never_cached()
    {
        var unique = $"/video.mp4?cache={Guid.NewGuid():N}";
        using var first = await ProxyAsync(unique);
        using var second = await ProxyAsync(unique);

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(2, january.Pages.HitsOf(unique));
    }

    [Fact]
    public async Task A_proxied_picture_larger_than_a_cache_entry_may_be_is_fetched_each_time()
    {
        var port = Spokes.TestSupport.Ports.Free();
        await using var small = january.Start("january-small-proxy-cache", port, ("January__ProxyCacheMaxEntryBytes", "16"));
        await small.StartAsync();
        var unique = $"/anim.gif?cache={Guid.NewGuid():N}";
        var url = $"http://127.0.0.1:{port}/proxy?url={Uri.EscapeDataString(january.Pages.Url(unique))}";

        using var first = await january.Http.GetAsync(url);
        using var second = await january.Http.GetAsync(url);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(TestMedia.Gif, await second.Content.ReadAsByteArrayAsync());
        Assert.Equal(2, january.Pages.HitsOf(unique));
    }
}
