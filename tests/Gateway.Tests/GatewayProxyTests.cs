using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Spokes.TestSupport;

namespace Spokes.Gateway.Tests;

/// <summary>
/// The Gateway on a real socket in front of a real backend that stands in for every service: it reports
/// the path, query and forwarded headers it received, and echoes WebSocket messages.
/// </summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public const string PublicUrl = "https://chat.example.com";

    private readonly int _backendPort = Ports.Free();
    private WebApplication _backend = null!;

    public WebApplicationFactory<Program> Gateway { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Every request the backend received, as <c>METHOD /path</c>, followed by <c> (preflight)</c> for a CORS preflight.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Received { get; } = new();

    /// <summary>The CORS headers the backend answers with on <c>/cors-of-its-own</c>, as a service with a CORS layer of its own would.</summary>
    public static readonly IReadOnlyDictionary<string, string> BackendCorsHeaders = new Dictionary<string, string>
    {
        ["Access-Control-Allow-Origin"] = "https://backend.example.com",
        ["Access-Control-Allow-Credentials"] = "true",
        ["Access-Control-Expose-Headers"] = "X-Backend-Secret",
        ["Access-Control-Allow-Methods"] = "GET",
        ["Access-Control-Max-Age"] = "86400",
    };

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{_backendPort}");
        _backend = builder.Build();
        _backend.UseWebSockets();
        _backend.Run(async context =>
        {
            var preflight = HttpMethods.IsOptions(context.Request.Method) && context.Request.Headers.ContainsKey("Access-Control-Request-Method");
            Received.Enqueue($"{context.Request.Method} {context.Request.Path}{(preflight ? " (preflight)" : "")}");
            if (context.Request.Path == "/cors-of-its-own")
            {
                foreach (var (name, value) in BackendCorsHeaders) context.Response.Headers[name] = value;
            }
            if (context.WebSockets.IsWebSocketRequest)
            {
                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                var buffer = new byte[1024];
                var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
                await socket.SendAsync(buffer.AsMemory(0, received.Count), WebSocketMessageType.Text, true, CancellationToken.None);
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
                return;
            }
            await context.Request.Body.CopyToAsync(Stream.Null);
            await context.Response.WriteAsJsonAsync(new
            {
                path = context.Request.Path.Value,
                query = context.Request.QueryString.Value,
                prefix = context.Request.Headers["X-Forwarded-Prefix"].ToString(),
                forwardedHost = context.Request.Headers["X-Forwarded-Host"].ToString(),
                forwardedProto = context.Request.Headers["X-Forwarded-Proto"].ToString(),
                forwardedFor = context.Request.Headers["X-Forwarded-For"].ToString(),
            });
        });
        await _backend.StartAsync();

        Gateway = StartGateway();
        Client = Gateway.CreateClient();
        BaseAddress = Client.BaseAddress!;
    }

    /// <summary>
    /// A Gateway in front of the backend, on a socket of its own, with forwarded headers turned on as Aspire turns them
    /// on for every project; <paramref name="settings"/> are added to its configuration.
    /// </summary>
    public WebApplicationFactory<Program> StartGateway(params (string Key, string Value)[] settings) => StartGateway(logs: null, settings);

    /// <summary>A Gateway as <see cref="StartGateway(ValueTuple{string, string}[])"/> starts it, whose logs also go to <paramref name="logs"/>.</summary>
    public WebApplicationFactory<Program> StartGateway(ILoggerProvider? logs, params (string Key, string Value)[] settings) => StartGateway(logs, null, settings);

    /// <summary>A Gateway as <see cref="StartGateway(ValueTuple{string, string}[])"/> starts it, its Kestrel set up by <paramref name="kestrel"/>.</summary>
    public WebApplicationFactory<Program> StartGateway(Action<KestrelServerOptions> kestrel) => StartGateway(null, kestrel);

    private WebApplicationFactory<Program> StartGateway(ILoggerProvider? logs, Action<KestrelServerOptions>? kestrel, params (string Key, string Value)[] settings)
    {
        var port = Ports.Free();
        var gateway = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("urls", $"http://127.0.0.1:{port}");
            foreach (var service in new[] { "api", "events", "autumn", "january", "gifbox", "voice-ingress" })
            {
                web.UseSetting($"services:{service}:http:0", $"http://127.0.0.1:{_backendPort}");
            }
            web.UseSetting("Gateway:PublicUrl", PublicUrl);
            web.UseSetting("FORWARDEDHEADERS_ENABLED", "true");
            // The AppHost's default for the Gateway: a client's own X-Forwarded-For is believed from nobody.
            web.UseSetting("ForwardedHeaders:TrustedProxies", "");
            foreach (var (key, value) in settings) web.UseSetting(key, value);
            if (logs is not null) web.ConfigureLogging(logging => logging.AddProvider(logs));
            if (kestrel is not null) web.ConfigureKestrel(kestrel);
        });
        gateway.UseKestrel();
        gateway.StartServer();
        return gateway;
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await _backend.DisposeAsync();
    }
}

public class GatewayProxyTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>
{
    private async Task<JsonElement> ForwardedAsync(string path) =>
        JsonDocument.Parse(await gateway.Client.GetStringAsync(path)).RootElement;

    [Theory]
    [InlineData("/api/", "/", "/api")]
    [InlineData("/api", "/", "/api")]
    [InlineData("/api/users/@me", "/users/@me", "/api")]
    [InlineData("/autumn/attachments/abc", "/attachments/abc", "/autumn")]
    [InlineData("/january/embed", "/embed", "/january")]
    [InlineData("/gifbox/trending", "/trending", "/gifbox")]
    [InlineData("/ingress/node-1", "/node-1", "/ingress")]
    public async Task Each_prefix_reaches_its_service_stripped_and_announced(string path, string expected, string prefix)
    {
        var forwarded = await ForwardedAsync(path);
        Assert.Equal(expected, forwarded.GetProperty("path").GetString());
        Assert.Equal(prefix, forwarded.GetProperty("prefix").GetString());
    }

    [Fact]
    public async Task A_clients_own_forwarded_address_is_replaced_by_the_address_it_connects_from()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/users/@me");
        request.Headers.Add("X-Forwarded-For", "198.51.100.7");
        var forwarded = JsonDocument.Parse(await (await gateway.Client.SendAsync(request)).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("127.0.0.1", forwarded.GetProperty("forwardedFor").GetString());
    }

    [Fact]
    public async Task A_proxy_the_operator_trusts_passes_its_clients_address_on()
    {
        await using var behindProxy = gateway.StartGateway(("ForwardedHeaders:TrustedProxies", "127.0.0.1"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/users/@me");
        request.Headers.Add("X-Forwarded-For", "198.51.100.7");
        var forwarded = JsonDocument.Parse(await (await behindProxy.CreateClient().SendAsync(request)).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("198.51.100.7", forwarded.GetProperty("forwardedFor").GetString());
    }

    [Fact]
    public async Task Query_strings_and_forwarded_host_and_scheme_reach_the_service()
    {
        var forwarded = await ForwardedAsync("/api/channels/01H/messages?limit=50&sort=Latest");
        Assert.Equal("?limit=50&sort=Latest", forwarded.GetProperty("query").GetString());
        Assert.Equal(gateway.BaseAddress.Authority, forwarded.GetProperty("forwardedHost").GetString());
        Assert.Equal("http", forwarded.GetProperty("forwardedProto").GetString());
    }

    [Fact]
    public async Task A_clients_own_forwarded_headers_are_replaced_not_trusted()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/");
        request.Headers.Add("X-Forwarded-Prefix", "/evil");
        request.Headers.Add("X-Forwarded-Host", "evil.example.com");
        var forwarded = JsonDocument.Parse(await (await gateway.Client.SendAsync(request)).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("/api", forwarded.GetProperty("prefix").GetString());
        Assert.Equal(gateway.BaseAddress.Authority, forwarded.GetProperty("forwardedHost").GetString());
    }

    [Fact]
    public async Task Well_known_stoat_points_at_the_public_api()
    {
        var response = await gateway.Client.GetAsync("/.well-known/stoat");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("https://chat.example.com/api", body.GetProperty("api").GetString());
    }

    [Theory]
    [InlineData("/", "/home")]
    [InlineData("/setup", "/setup")]
    [InlineData("/admin/login", "/admin/login")]
    [InlineData("/auth/oidc/callback", "/auth/oidc/callback")]
    public async Task The_web_pages_reach_the_api_at_their_own_paths_and_the_root_at_its_home_page(string path, string expected) =>
        Assert.Equal(expected, (await ForwardedAsync(path)).GetProperty("path").GetString());

    [Theory]
    [InlineData("/livekit/rtc")]
    [InlineData("/nothing-here")]
    [InlineData("/apis/users/@me")]
    public async Task Unconfigured_livekit_and_unknown_paths_answer_stoats_not_found(string path)
    {
        using var response = await gateway.Client.GetAsync(path);
        await StoatErrorAssert.IsAsync(response, HttpStatusCode.NotFound, "NotFound");
    }

    [Fact]
    public async Task A_method_the_gateways_own_routes_do_not_take_answers_stoats_error()
    {
        using var response = await gateway.Client.PostAsync("/.well-known/stoat", null);
        await StoatErrorAssert.IsAsync(response, HttpStatusCode.MethodNotAllowed, "InvalidOperation");
    }

    [Fact]
    public async Task A_service_that_does_not_answer_is_stoats_internal_error_not_an_empty_page()
    {
        await using var broken = gateway.StartGateway(("services:autumn:http:0", $"http://127.0.0.1:{Ports.Free()}"));
        using var client = broken.CreateClient();
        using var response = await client.GetAsync("/autumn/attachments/abc");
        await StoatErrorAssert.IsAsync(response, HttpStatusCode.BadGateway, "InternalError");
    }

    [Fact]
    public async Task A_body_over_the_gateways_limit_is_refused_in_stoats_shape()
    {
        await using var limited = gateway.StartGateway(kestrel => kestrel.Limits.MaxRequestBodySize = 1024);
        using var client = limited.CreateClient();
        using var response = await client.PostAsync("/api/servers/create?oversized", new StringContent(new string('x', 4096)));
        await StoatErrorAssert.IsAsync(response, HttpStatusCode.RequestEntityTooLarge, "PayloadTooLarge");
    }

    [Fact]
    public async Task Websockets_on_ws_reach_the_events_service()
    {
        using var socket = new ClientWebSocket();
        var address = new UriBuilder(gateway.BaseAddress) { Scheme = "ws", Path = "/ws", Query = "version=1&format=json" }.Uri;
        await socket.ConnectAsync(address, CancellationToken.None);
        await socket.SendAsync(Encoding.UTF8.GetBytes("""{"type":"Ping","data":0}"""), WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[1024];
        var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
        Assert.Equal("""{"type":"Ping","data":0}""", Encoding.UTF8.GetString(buffer, 0, received.Count));
    }

    /// <summary>Stoat clients put the session token in the events socket's query; proxying must not write it to the logs.</summary>
    [Fact]
    public async Task A_token_in_the_query_is_not_logged()
    {
        var logs = new CapturedLogs();
        await using var logged = gateway.StartGateway(logs);
        using var client = logged.CreateClient();
        const string token = "session-token-that-must-stay-secret";
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/ws?version=1&token={token}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/users/@me?token={token}")).StatusCode);
        Assert.NotEmpty(logs.Messages);
        Assert.DoesNotContain(logs.Messages, message => message.Contains(token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_gateway_reports_its_own_health()
    {
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.GetAsync("/alive")).StatusCode);
    }
}

public static class StoatErrorAssert
{
    /// <summary>The answer is Stoat's error JSON <c>{"type": type, …, "location": …}</c> with the status given.</summary>
    public static async Task<JsonElement> IsAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(text).RootElement;
        Assert.Equal(type, body.GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("location").GetString()));
        return body;
    }
}

/// <summary>Every message logged, formatted, at the levels the host's configuration lets through.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _messages = new();

    public IReadOnlyCollection<string> Messages => _messages;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            logs._messages.Enqueue($"{category}: {formatter(state, exception)} {exception}");
    }
}
