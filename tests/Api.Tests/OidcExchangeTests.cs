using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using StackExchange.Redis;

namespace Spokes.Api.Tests;

/// <summary><c>POST /auth/oidc/exchange</c> with bodies that are not a handoff code: Stoat's error JSON, and the code it guards is left alone.</summary>
public class OidcExchangeTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    /// <summary>A handoff code as the OIDC callback leaves it in Redis, standing for a session.</summary>
    private async Task<(IDatabase Redis, string Code, RedisKey Key)> HandoffAsync()
    {
        var redis = (await ConnectionMultiplexer.ConnectAsync(api.RedisConnectionString)).GetDatabase();
        var code = $"handoff-{Guid.NewGuid():N}";
        RedisKey key = "oidc:handoff:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(code)));
        await redis.StringSetAsync(key, JsonSerializer.Serialize(new Models.LoginSuccess("S1", "U1", "a session token", "OIDC", DateTimeOffset.UtcNow.ToString("O"))),
            TimeSpan.FromMinutes(2));
        return (redis, code, key);
    }

    public static TheoryData<string, string?, string> MalformedBodies => new()
    {
        { "no body at all", null, "application/json" },
        { "an empty object", "{}", "application/json" },
        { "the code as null", """{"code": null}""", "application/json" },
        { "the code as a number", """{"code": 42}""", "application/json" },
        { "the code as an object", """{"code": {"value": "x"}}""", "application/json" },
        { "an array", """["code"]""", "application/json" },
        { "not JSON", "code=abc", "application/json" },
        { "truncated JSON", """{"code": "ab""", "application/json" },
        { "a form", "code=abc", "application/x-www-form-urlencoded" },
        { "plain text", "abc", "text/plain" },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task A_malformed_body_is_refused_with_stoats_error_json_and_uses_up_no_code(string what, string? body, string mediaType)
    {
        var (redis, code, key) = await HandoffAsync();
        using var http = api.Factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/oidc/exchange");
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, mediaType);

        using var response = await http.SendAsync(request);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("FailedValidation", error.GetProperty("type").GetString());
        Assert.True(await redis.KeyExistsAsync(key), $"{what}: the handoff code was used up");
        using var exchanged = await http.PostAsJsonAsync("/auth/oidc/exchange", new { code });
        Assert.Equal(HttpStatusCode.OK, exchanged.StatusCode);
        Assert.Equal("a session token", JsonDocument.Parse(await exchanged.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString());
    }

    [Fact]
    public async Task An_unknown_code_is_an_invalid_token_and_a_known_one_works_once()
    {
        var (_, code, _) = await HandoffAsync();
        using var http = api.Factory.CreateClient();
        using var unknown = await http.PostAsJsonAsync("/auth/oidc/exchange", new { code = "not a code anyone was given" });
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal("InvalidToken", JsonDocument.Parse(await unknown.Content.ReadAsStringAsync()).RootElement.GetProperty("type").GetString());
        using var first = await http.PostAsJsonAsync("/auth/oidc/exchange", new { code });
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var second = await http.PostAsJsonAsync("/auth/oidc/exchange", new { code });
        Assert.Equal(HttpStatusCode.Unauthorized, second.StatusCode);
    }
}
