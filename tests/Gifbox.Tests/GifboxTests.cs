using System.Net;
using System.Text.Json;

namespace Spokes.Gifbox.Tests;

/// <summary>Stoat's Gifbox routes against a stand-in of the provider, through the real Gifbox process.</summary>
public sealed class GifboxTests(GifboxServer gifbox) : IClassFixture<GifboxServer>
{
    private async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(string path, string? token, string? baseUrl = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, (baseUrl ?? gifbox.Url) + path);
        if (token is not null) request.Headers.Add("X-Session-Token", token);
        using var response = await gifbox.Http.SendAsync(request);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private static string Token() => "token-" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task A_search_answers_in_Stoats_shape_and_the_same_search_is_answered_from_the_cache()
    {
        var query = "wave" + Guid.NewGuid().ToString("N")[..8];
        var token = Token();

        var (status, page) = await GetAsync($"/search?query={query}&locale=en_US&limit=10", token);
        var (again, cached) = await GetAsync($"/search?query={query}&locale=en_US&limit=10", token);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(HttpStatusCode.OK, again);
        var result = Assert.Single(page.GetProperty("results").EnumerateArray());
        Assert.Equal($"search-{query}", result.GetProperty("id").GetString());
        Assert.Equal($"https://tenor.example/search-{query}", result.GetProperty("url").GetString());
        var webm = result.GetProperty("media_formats").GetProperty("webm");
        Assert.Equal($"https://media.example/search-{query}.webm", webm.GetProperty("url").GetString());
        Assert.Equal([498, 280], webm.GetProperty("dimensions").EnumerateArray().Select(d => d.GetInt32()));
        Assert.Equal("12", page.GetProperty("next").GetString());
        Assert.Equal(page.ToString(), cached.ToString());
        var asked = Assert.Single(gifbox.ProviderRequests, r => r.Contains($"q={query}", StringComparison.Ordinal));
        Assert.Contains($"key={GifboxServer.ProviderKey}", asked);
        Assert.Contains("media_filter=webm,tinywebm", asked);
        Assert.Contains("contentfilter=high", asked);
    }

    [Fact]
    public async Task Trending_and_categories_answer_in_Stoats_shape()
    {
        var token = Token();

        var (trendingStatus, trending) = await GetAsync("/trending?locale=en", token);
        var (categoriesStatus, categories) = await GetAsync("/categories?locale=en", token);

        Assert.Equal(HttpStatusCode.OK, trendingStatus);
        Assert.Equal("featured", Assert.Single(trending.GetProperty("results").EnumerateArray()).GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.OK, categoriesStatus);
        var category = Assert.Single(categories.EnumerateArray());
        Assert.Equal("wave", category.GetProperty("title").GetString());
        Assert.Equal("https://media.example/wave.gif", category.GetProperty("image").GetString());
    }

    [Fact]
    public async Task Without_a_provider_key_GIF_search_is_a_disabled_feature()
    {
        var (status, error) = await GetAsync("/search?query=wave&locale=en", Token(), gifbox.KeylessUrl);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("FeatureDisabled", error.GetProperty("type").GetString());
        Assert.Equal("gifbox", error.GetProperty("feature").GetString());
    }

    [Theory]
    [InlineData(null, "NotAuthenticated")]
    [InlineData("not-a-session", "InvalidSession")]
    public async Task Only_signed_in_users_may_search(string? token, string type)
    {
        var (status, error) = await GetAsync("/search?query=wave&locale=en", token);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(type, error.GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("/search?locale=en")]
    [InlineData("/search?query=wave")]
    [InlineData("/search?query=wave&locale=en&limit=0")]
    [InlineData("/search?query=wave&locale=en&limit=51")]
    [InlineData("/search?query=wave&locale=en%26key%3Dx")]
    [InlineData("/search?query=wave&locale=en&position=a%20b")]
    [InlineData("/trending?locale=")]
    [InlineData("/categories")]
    public async Task Bad_input_is_refused_without_asking_the_provider(string path)
    {
        var before = gifbox.ProviderRequests.Count;

        var (status, error) = await GetAsync(path, Token());

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("FailedValidation", error.GetProperty("type").GetString());
        Assert.Equal(before, gifbox.ProviderRequests.Count);
    }

    [Fact]
    public async Task Categories_are_limited_to_two_requests_per_user_in_ten_seconds()
    {
        var token = Token();

        await GetAsync("/categories?locale=en", token);
        await GetAsync("/categories?locale=en", token);
        var (status, body) = await GetAsync("/categories?locale=en", token);
        var (other, _) = await GetAsync("/categories?locale=en", Token());

        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.True(body.GetProperty("retry_after").GetInt64() > 0);
        Assert.Equal(HttpStatusCode.OK, other);
    }
}
