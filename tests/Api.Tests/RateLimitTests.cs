using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Spokes.Api.RateLimits;

namespace Spokes.Api.Tests;

public class RateLimitBucketTests
{
    [Theory]
    [InlineData("PATCH", "/users/@me", "user_edit", 2, "@me")]
    [InlineData("GET", "/users/01H/default_avatar", "default_avatar", 255, null)]
    [InlineData("GET", "/users/@me", "users", 20, null)]
    [InlineData("POST", "/bots/create", "bots", 10, null)]
    [InlineData("POST", "/channels/01C/messages", "messaging", 10, "01C")]
    [InlineData("GET", "/channels/01C/messages", "channels", 15, "01C")]
    [InlineData("PATCH", "/servers/01S", "servers", 5, "01S")]
    [InlineData("POST", "/auth/session/login", "auth", 15, null)]
    [InlineData("DELETE", "/auth/session/all", "auth_delete", 255, null)]
    [InlineData("POST", "/safety/report", "safety_report", 3, "report")]
    [InlineData("GET", "/", "any", 20, null)]
    [InlineData("GET", "/setup", "pages", 60, null)]
    [InlineData("GET", "/admin", "pages", 60, null)]
    [InlineData("GET", "/home", "pages", 60, null)]
    [InlineData("POST", "/setup", "any", 20, null)]
    [InlineData("POST", "/admin/login", "any", 20, null)]
    // Routing ignores case; so does the bucket, or /USERS/@me would escape its limit. Ids keep their case.
    [InlineData("GET", "/USERS/@me", "users", 20, null)]
    [InlineData("POST", "/Channels/01C/MESSAGES", "messaging", 10, "01C")]
    [InlineData("POST", "/AUTH/session/login", "auth", 15, null)]
    public void Requests_fall_into_stoats_buckets(string method, string path, string bucket, int limit, string? resource) =>
        Assert.Equal(new RateLimitBucket(bucket, limit, resource), RateLimitBuckets.Resolve(method, path));
}

[Collection(nameof(ApiCollection))]
public class RateLimitTests(ApiFixture api)
{
    private static HttpRequestMessage Login(string address)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/auth/session/login")
        {
            // A new address each time, so that no account's login lockout answers before the rate limit does.
            Content = JsonContent.Create(new { email = $"nobody-{Guid.NewGuid():N}@example.com", password = "wrong password" }),
        };
        request.Headers.Add("X-Forwarded-For", address);
        return request;
    }


    [Fact]
    public async Task The_sixteenth_login_attempt_from_one_address_within_ten_seconds_is_refused_with_retry_after()
    {
        using var factory = api.RateLimited();
        var client = factory.CreateClient();
        var address = $"198.51.100.{Random.Shared.Next(1, 255)}";
        var address2 = $"192.0.2.{Random.Shared.Next(1, 255)}";

        for (var i = 1; i <= 15; i++)
        {
            using var allowed = await client.SendAsync(Login(address));
            Assert.Equal(HttpStatusCode.Unauthorized, allowed.StatusCode);
            Assert.Equal("auth", allowed.Headers.GetValues("X-RateLimit-Bucket").Single());
            Assert.Equal("15", allowed.Headers.GetValues("X-RateLimit-Limit").Single());
            Assert.Equal((15 - i).ToString(), allowed.Headers.GetValues("X-RateLimit-Remaining").Single());
        }

        using var refused = await client.SendAsync(Login(address));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var retryAfter = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("retry_after").GetInt64();
        Assert.InRange(retryAfter, 1, 10_000);
        Assert.InRange(long.Parse(refused.Headers.GetValues("X-RateLimit-Reset-After").Single()), 1, 10_000);

        // Another address, and another bucket for the same address, are unaffected.
        using var otherAddress = await client.SendAsync(Login(address2));
        Assert.Equal(HttpStatusCode.Unauthorized, otherAddress.StatusCode);
        using var otherBucket = new HttpRequestMessage(HttpMethod.Get, "/");
        otherBucket.Headers.Add("X-Forwarded-For", address);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(otherBucket)).StatusCode);
    }

    [Fact]
    public async Task Health_probes_are_never_limited()
    {
        using var factory = api.RateLimited();
        var client = factory.CreateClient();
        for (var i = 0; i < 30; i++)
        {
            using var probe = await client.GetAsync(i % 2 == 0 ? "/health" : "/alive");
            Assert.NotEqual(HttpStatusCode.TooManyRequests, probe.StatusCode);
            Assert.False(probe.Headers.Contains("X-RateLimit-Bucket"));
        }
    }

    [Fact]
    public async Task Replicas_share_one_count_through_redis()
    {
        using var first = api.RateLimited();
        using var second = api.RateLimited();
        var address = $"203.0.113.{Random.Shared.Next(1, 255)}";
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 16; i++)
        {
            var replica = (i % 2 == 0 ? first : second).CreateClient();
            using var response = await replica.SendAsync(Login(address));
            statuses.Add(response.StatusCode);
        }
        Assert.Equal(15, statuses.Count(s => s == HttpStatusCode.Unauthorized));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
    }
}
