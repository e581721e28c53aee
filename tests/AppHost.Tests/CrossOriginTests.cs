using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Spokes.TestSupport;

namespace Spokes.AppHost.Tests;

/// <summary>
/// The whole suite used from a page served by another origin, as a self-hoster runs Stoat's web client on its own host
/// or port: a real Chromium, real preflights, answered by the Gateway.
/// </summary>
[Collection(SuiteCollection.Name)]
public sealed class CrossOriginTests(SharedSuite shared)
{
    private const string WebClient = "https://web.example.com";

    /// <summary>
    /// The page: stoat-api, Stoat's own API client (the one its web client and stoat.js use), loaded as the browser
    /// loads ES modules, from the conformance tests' node_modules.
    /// </summary>
    private const string Page = """
        <!doctype html>
        <html><head><meta charset="utf-8"><title>Another origin</title>
        <script type="importmap">
        { "imports": {
            "stoat-api": "/node_modules/stoat-api/lib/index.js",
            "json-with-bigint": "/node_modules/json-with-bigint/json-with-bigint.js" } }
        </script></head><body></body></html>
        """;

    /// <summary>
    /// Signs up, logs in, onboards, creates a server and sends a message in it. Every call sends JSON as
    /// <c>application/json</c>, and the authenticated ones <c>X-Session-Token</c>: each needs a preflight.
    /// </summary>
    private const string Conversation = """
        async ({ api, email, password }) => {
            const { API } = await import("stoat-api");
            const json = { "Content-Type": "application/json" };
            const anonymous = new API({ baseURL: api, headers: json });
            await anonymous.post("/auth/account/create", { email, password });
            const session = await anonymous.post("/auth/session/login", { email, password, friendly_name: "another origin" });
            const client = new API({ baseURL: api, authentication: { revolt: { token: session.token } }, headers: json });
            await client.post("/onboard/complete", { username: "acrossorigins" });
            const created = await client.post("/servers/create", { name: "Across origins" });
            const channel = created.channels[0]._id;
            const sent = await client.post(`/channels/${channel}/messages`, { content: "hello from another origin" });
            const read = await client.get(`/channels/${channel}/messages`);
            // What a script reads of the rate limits, and a plain request a browser sends without a preflight.
            const me = await fetch(`${api}/users/@me`, { headers: { "X-Session-Token": session.token } });
            const root = await fetch(`${api}/`);
            return {
                origin: location.origin,
                channel,
                sent: sent.content,
                read: read.map(message => message.content),
                remaining: me.headers.get("X-RateLimit-Remaining"),
                bucket: me.headers.get("X-RateLimit-Bucket"),
                rootReadable: (await root.json()).revolt !== undefined,
            };
        }
        """;

    [Fact]
    public async Task A_page_on_another_origin_signs_up_logs_in_and_sends_a_message_through_real_preflights()
    {
        using var pages = StaticSite.Start(Path.Combine(BuildLayout.RepositoryRoot, "tests", "conformance", "node_modules"), Page);
        var gateway = (await shared.GetAsync()).Gateway.BaseAddress!;
        var api = new Uri(gateway, "/api").ToString();

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            // Debian's Chromium: Playwright's own browser download cannot reach the internet from here.
            ExecutablePath = "/usr/bin/chromium",
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var page = await browser.NewPageAsync();
        page.SetDefaultTimeout(60_000);

        // Preflights are the browser's own requests: the page's scripts and Playwright's request events never see
        // them, the DevTools protocol does.
        var preflights = new ConcurrentQueue<string>();
        var cdp = await page.Context.NewCDPSessionAsync(page);
        cdp.Event("Network.requestWillBeSent").OnEvent += (_, sent) =>
        {
            if (sent is { } e && e.GetProperty("request").GetProperty("method").GetString() == "OPTIONS")
                preflights.Enqueue(e.GetProperty("request").GetProperty("url").GetString()!);
        };
        await cdp.SendAsync("Network.enable");
        var calls = new ConcurrentQueue<IRequest>();
        page.Request += (_, request) =>
        {
            if (request.Url.StartsWith(api, StringComparison.Ordinal)) calls.Enqueue(request);
        };

        await page.GotoAsync(pages.Address.ToString());
        var result = await page.EvaluateAsync<JsonElement>(Conversation, new { api, email = "across@example.com", password = "across origins password" });

        var origin = result.GetProperty("origin").GetString()!;
        Assert.NotEqual(new Uri(origin).GetLeftPart(UriPartial.Authority), gateway.GetLeftPart(UriPartial.Authority));
        Assert.Equal("hello from another origin", result.GetProperty("sent").GetString());
        Assert.Contains("hello from another origin", result.GetProperty("read").EnumerateArray().Select(m => m.GetString()));
        Assert.True(int.TryParse(result.GetProperty("remaining").GetString(), out _), "X-RateLimit-Remaining is not readable by the page");
        Assert.Equal("users", result.GetProperty("bucket").GetString());
        Assert.True(result.GetProperty("rootReadable").GetBoolean());

        // Every call carried the page's origin, and each one that needs it went through a preflight first.
        Assert.NotEmpty(calls);
        foreach (var call in calls) Assert.Equal(origin, await call.HeaderValueAsync("origin"));
        var channel = result.GetProperty("channel").GetString();
        foreach (var path in new[] { "/auth/account/create", "/auth/session/login", "/onboard/complete", "/servers/create", $"/channels/{channel}/messages", "/users/@me" })
            Assert.Contains(preflights, url => new Uri(url).AbsolutePath == "/api" + path);
        Assert.DoesNotContain(preflights, url => new Uri(url).AbsolutePath == "/api/");
    }

    [Fact]
    public async Task Preflights_through_the_suite_are_answered_by_the_gateway_and_not_counted_by_the_apis_rate_limits()
    {
        var gateway = (await shared.GetAsync()).Gateway;
        // user_edit allows 2 requests per 10 s: were preflights counted, the edit that follows them would be refused.
        for (var i = 0; i < 3; i++)
        {
            using var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/users/@me");
            preflight.Headers.Add("Origin", WebClient);
            preflight.Headers.Add("Access-Control-Request-Method", "PATCH");
            preflight.Headers.Add("Access-Control-Request-Headers", "x-session-token, content-type");
            using var answer = await gateway.SendAsync(preflight);
            Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode);
            Assert.Equal("*", answer.Headers.GetValues("Access-Control-Allow-Origin").Single());
        }

        using var edit = new HttpRequestMessage(HttpMethod.Patch, "/api/users/@me") { Content = new StringContent("""{"status":{"text":"x"}}""", Encoding.UTF8, "application/json") };
        edit.Headers.Add("Origin", WebClient);
        using var refused = await gateway.SendAsync(edit);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("user_edit", refused.Headers.GetValues("X-RateLimit-Bucket").Single());
        Assert.Equal("1", refused.Headers.GetValues("X-RateLimit-Remaining").Single());
        Assert.Equal("*", refused.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Theory]
    [InlineData("GET", "/api/no/such/route", HttpStatusCode.NotFound, "NotFound")]
    [InlineData("GET", "/autumn/no/such/route", HttpStatusCode.NotFound, "NotFound")]
    [InlineData("GET", "/january/no/such/route", HttpStatusCode.NotFound, "NotFound")]
    [InlineData("GET", "/gifbox/no/such/route", HttpStatusCode.NotFound, "NotFound")]
    [InlineData("GET", "/ingress/no/such/route", HttpStatusCode.NotFound, "NotFound")]
    [InlineData("GET", "/no/such/route", HttpStatusCode.NotFound, "NotFound")]
    [InlineData("DELETE", "/api/", HttpStatusCode.MethodNotAllowed, "InvalidOperation")]
    [InlineData("DELETE", "/autumn/", HttpStatusCode.MethodNotAllowed, "InvalidOperation")]
    [InlineData("DELETE", "/january/", HttpStatusCode.MethodNotAllowed, "InvalidOperation")]
    [InlineData("DELETE", "/gifbox/", HttpStatusCode.MethodNotAllowed, "InvalidOperation")]
    [InlineData("POST", "/api/auth/account/create", HttpStatusCode.BadRequest, "FailedValidation")]
    public async Task Every_service_behind_the_gateway_answers_in_stoats_error_shape_readable_from_another_origin(
        string method, string path, HttpStatusCode status, string type)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Add("Origin", WebClient);
        if (method == "POST") request.Content = new StringContent("{not json", Encoding.UTF8, "application/json");
        using var response = await (await shared.GetAsync()).Gateway.SendAsync(request);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: '{text}'");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(type, JsonDocument.Parse(text).RootElement.GetProperty("type").GetString());
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    /// <summary>A page's own origin: static files from a folder and one HTML page at <c>/</c>, on a port of its own.</summary>
    private sealed class StaticSite : IDisposable
    {
        private readonly HttpListener _listener = new();

        private StaticSite(string folder, string page)
        {
            Address = new Uri($"http://localhost:{Ports.Free()}/");
            _listener.Prefixes.Add(Address.ToString());
            _listener.Start();
            _ = ServeAsync(Path.GetFullPath(folder), page);
        }

        public Uri Address { get; }

        public static StaticSite Start(string folder, string page) => new(folder, page);

        private async Task ServeAsync(string folder, string page)
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }
                using var response = context.Response;
                var path = context.Request.Url!.AbsolutePath;
                var file = Path.GetFullPath(Path.Combine(folder, path.TrimStart('/').Replace("node_modules/", "", StringComparison.Ordinal)));
                byte[] body;
                if (path == "/")
                {
                    response.ContentType = "text/html; charset=utf-8";
                    body = Encoding.UTF8.GetBytes(page);
                }
                else if (path.StartsWith("/node_modules/", StringComparison.Ordinal) && file.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal) && File.Exists(file))
                {
                    response.ContentType = "text/javascript; charset=utf-8";
                    body = await File.ReadAllBytesAsync(file);
                }
                else
                {
                    response.StatusCode = 404;
                    body = [];
                }
                await response.OutputStream.WriteAsync(body);
            }
        }

        public void Dispose() => _listener.Close();
    }
}
