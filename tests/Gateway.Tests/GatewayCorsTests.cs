using System.Net;

namespace Spokes.Gateway.Tests;

/// <summary>
/// Browsers on another origin (Stoat's web client on its own host or port) use the suite through the Gateway: it
/// answers their preflights itself, for every public route, and marks every answer readable by them, as Stoat's
/// services do (delta's rocket_cors, autumn's and gifbox's CorsLayer).
/// </summary>
public class GatewayCorsTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>
{
    private const string WebClient = "https://web.example.com";

    private static readonly string[] StoatHeaders = ["X-Session-Token", "X-Bot-Token", "X-MFA-Ticket", "Idempotency-Key", "Content-Type"];

    private static readonly string[] RateLimitHeaders = ["X-RateLimit-Limit", "X-RateLimit-Bucket", "X-RateLimit-Remaining", "X-RateLimit-Reset-After"];

    private static HttpRequestMessage Preflight(string path, string origin, string method, params string[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", method);
        if (headers.Length > 0) request.Headers.Add("Access-Control-Request-Headers", string.Join(", ", headers).ToLowerInvariant());
        return request;
    }

    private static HttpRequestMessage FromOrigin(HttpMethod method, string path, string origin)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Origin", origin);
        return request;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : null;

    private static IEnumerable<string> Listed(HttpResponseMessage response, string name) =>
        (Header(response, name) ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    [Theory]
    [InlineData("/api/users/@me", "PATCH")]
    [InlineData("/api/channels/01H/messages", "POST")]
    [InlineData("/api/servers/01H", "DELETE")]
    [InlineData("/api/users/@me/relationships", "PUT")]
    [InlineData("/api/users/@me", "GET")]
    [InlineData("/autumn/attachments", "POST")]
    [InlineData("/january/embed", "GET")]
    [InlineData("/gifbox/trending", "GET")]
    [InlineData("/ingress/node-1", "POST")]
    [InlineData("/.well-known/stoat", "GET")]
    public async Task A_preflight_from_any_origin_is_answered_by_the_gateway_for_stoats_methods_and_headers(string path, string method)
    {
        using var response = await gateway.Client.SendAsync(Preflight(path, WebClient, method, StoatHeaders));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("*", Header(response, "Access-Control-Allow-Origin"));
        Assert.Contains(method, Listed(response, "Access-Control-Allow-Methods"));
        foreach (var header in StoatHeaders) Assert.Contains(header, Listed(response, "Access-Control-Allow-Headers"), StringComparer.OrdinalIgnoreCase);
        // Stoat's tokens are headers, never cookies: nothing to allow credentials for.
        Assert.Null(Header(response, "Access-Control-Allow-Credentials"));
        Assert.DoesNotContain(gateway.Received, r => r.EndsWith("(preflight)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_preflight_lists_every_method_stoat_allows()
    {
        using var response = await gateway.Client.SendAsync(Preflight("/api/users/@me", WebClient, "PATCH", "X-Session-Token"));
        Assert.Superset(new HashSet<string> { "GET", "POST", "PUT", "PATCH", "DELETE" }, Listed(response, "Access-Control-Allow-Methods").ToHashSet());
    }

    [Theory]
    [InlineData("/api/users/@me")]
    [InlineData("/autumn/")]
    [InlineData("/january/")]
    [InlineData("/gifbox/")]
    [InlineData("/ingress/")]
    [InlineData("/.well-known/stoat")]
    [InlineData("/nothing-here")]
    public async Task Answers_to_another_origin_are_readable_with_the_rate_limit_headers_exposed(string path)
    {
        using var response = await gateway.Client.SendAsync(FromOrigin(HttpMethod.Get, path, WebClient));

        Assert.Equal("*", Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal(RateLimitHeaders.Order(StringComparer.OrdinalIgnoreCase), Listed(response, "Access-Control-Expose-Headers").Order(StringComparer.OrdinalIgnoreCase), StringComparer.OrdinalIgnoreCase);
        Assert.Null(Header(response, "Access-Control-Allow-Credentials"));
    }

    [Fact]
    public async Task A_services_own_cors_headers_give_way_to_the_gateways()
    {
        using var response = await gateway.Client.SendAsync(FromOrigin(HttpMethod.Get, "/api/cors-of-its-own", WebClient));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["*"], response.Headers.GetValues("Access-Control-Allow-Origin"));
        Assert.DoesNotContain("X-Backend-Secret", Listed(response, "Access-Control-Expose-Headers"));
        Assert.Null(Header(response, "Access-Control-Allow-Credentials"));
        Assert.Null(Header(response, "Access-Control-Allow-Methods"));
        Assert.Null(Header(response, "Access-Control-Max-Age"));
    }

    [Fact]
    public async Task An_options_request_that_is_not_a_preflight_still_reaches_the_service()
    {
        using var response = await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Options, "/api/users/@me"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("OPTIONS /users/@me", gateway.Received);
    }

    [Fact]
    public async Task With_allowed_origins_set_only_those_origins_may_read_the_answers()
    {
        await using var restricted = gateway.StartGateway(("Gateway:AllowedOrigins", "https://web.example.com, http://localhost:5173"));
        using var client = restricted.CreateClient();

        foreach (var allowed in new[] { WebClient, "http://localhost:5173" })
        {
            using var preflight = await client.SendAsync(Preflight("/api/users/@me", allowed, "PATCH", StoatHeaders));
            Assert.Equal(HttpStatusCode.NoContent, preflight.StatusCode);
            Assert.Equal(allowed, Header(preflight, "Access-Control-Allow-Origin"));
            Assert.Contains("Origin", Listed(preflight, "Vary"));
            using var answer = await client.SendAsync(FromOrigin(HttpMethod.Get, "/api/users/@me", allowed));
            Assert.Equal(allowed, Header(answer, "Access-Control-Allow-Origin"));
            Assert.Contains("X-RateLimit-Remaining", Listed(answer, "Access-Control-Expose-Headers"));
        }

        using var refusedPreflight = await client.SendAsync(Preflight("/api/users/@me", "https://evil.example.com", "PATCH", StoatHeaders));
        Assert.Null(Header(refusedPreflight, "Access-Control-Allow-Origin"));
        Assert.Null(Header(refusedPreflight, "Access-Control-Allow-Headers"));
        using var unreadable = await client.SendAsync(FromOrigin(HttpMethod.Get, "/api/users/@me", "https://evil.example.com"));
        Assert.Null(Header(unreadable, "Access-Control-Allow-Origin"));
        Assert.DoesNotContain(gateway.Received, r => r.EndsWith("(preflight)", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("web.example.com")]
    [InlineData("https://web.example.com/app")]
    [InlineData("ftp://web.example.com")]
    [InlineData("*")]
    public void An_allowed_origin_that_is_not_an_origin_stops_the_gateway_with_its_reason(string value)
    {
        var error = Assert.ThrowsAny<Exception>(() => gateway.StartGateway(("Gateway:AllowedOrigins", value)).Dispose());
        Assert.Contains($"Gateway:AllowedOrigins: '{value}'", error.ToString());
    }
}
