using System.Net;
using System.Text.Json;
using Spokes.TestSupport;

namespace Spokes.January.Tests;

/// <summary>January's limits: per client address, and tighter per session token.</summary>
[Collection(JanuaryCollection.Name)]
public sealed class RateLimitTests(JanuaryServer january)
{
    [Fact]
    public async Task Requests_over_the_limit_get_Stoats_429_per_token_and_per_address()
    {
        var port = Ports.Free();
        await using var limited = january.Start("january-limited", port,
            ("January__RateLimit__Enabled", "true"), ("January__RateLimit__PerAddress", "4"), ("January__RateLimit__PerUser", "2"),
            ("January__RateLimit__Window", "00:01:00"));
        await limited.StartAsync();
        var url = $"http://127.0.0.1:{port}/embed?url={Uri.EscapeDataString(january.Pages.Url("/opengraph"))}";
        async Task<HttpResponseMessage> AskAsync(string? token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (token is not null) request.Headers.Add("X-Session-Token", token);
            return await january.Http.SendAsync(request);
        }

        var withToken = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++) withToken.Add((await AskAsync("a-token")).StatusCode);
        var withoutToken = new List<HttpResponseMessage>();
        for (var i = 0; i < 3; i++) withoutToken.Add(await AskAsync(null));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], withToken);
        // The address counted the token's three requests too: one more is allowed, then none.
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], withoutToken.Select(r => r.StatusCode));
        var refused = withoutToken[^1];
        Assert.Equal("4", refused.Headers.GetValues("X-RateLimit-Limit").Single());
        Assert.Equal("0", refused.Headers.GetValues("X-RateLimit-Remaining").Single());
        Assert.True(JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("retry_after").GetInt64() > 0);
    }
}
