using System.Collections.Concurrent;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Spokes.Contracts.Sessions.V1;
using Spokes.TestSupport;

namespace Spokes.Gifbox.Tests;

/// <summary>
/// Gifbox as the AppHost runs it, its own process on Redis, with stand-ins for what it calls: a Tenor v2 provider
/// on loopback (allowed by <c>Egress:Allow</c>) that counts the requests it gets, and the Api's
/// <c>Sessions.Authenticate</c>, which knows every token <c>token-NAME</c> as user NAME.
/// </summary>
public sealed class GifboxServer : IAsyncLifetime
{
    public const string InternalKey = "gifbox-tests-internal-key";
    public const string ProviderKey = "test-provider-key";

    private readonly TemporaryFolder _folder = new("spokes-gifbox");
    private readonly ConcurrentQueue<string> _providerRequests = new();
    private WebApplication _provider = null!;
    private WebApplication _api = null!;
    private LocalProgram _gifbox = null!;
    private LocalProgram _keyless = null!;
    private readonly int _port = Ports.Free();
    private readonly int _keylessPort = Ports.Free();

    public RedisServer Redis { get; } = new();

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public string Url => $"http://127.0.0.1:{_port}";

    /// <summary>A Gifbox with no provider key.</summary>
    public string KeylessUrl => $"http://127.0.0.1:{_keylessPort}";

    /// <summary>Each request the provider stand-in got: its path and query.</summary>
    public IReadOnlyList<string> ProviderRequests => [.. _providerRequests];

    public async Task InitializeAsync()
    {
        await Redis.InitializeAsync();
        _provider = await StartProviderAsync();
        _api = await StartSessionsAsync();
        var providerPort = new Uri(_provider.Urls.Single()).Port;
        var apiUrl = _api.Urls.Single();
        _gifbox = Start("gifbox", _port, providerPort, apiUrl, ProviderKey);
        _keyless = Start("gifbox-keyless", _keylessPort, providerPort, apiUrl, "");
        await Task.WhenAll(_gifbox.StartAsync(), _keyless.StartAsync());
    }

    private LocalProgram Start(string name, int port, int providerPort, string apiUrl, string key) =>
        LocalProgram.Service(name, "Spokes.Gifbox", port, new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ConnectionStrings__redis"] = Redis.ConnectionString,
            ["services__api__grpc__0"] = apiUrl,
            ["Internal__Key"] = InternalKey,
            ["Egress__Allow"] = $"127.0.0.1:{providerPort}",
            ["Gifbox__Provider"] = "tenor",
            ["Gifbox__Tenor__BaseUrl"] = $"http://127.0.0.1:{providerPort}/v2",
            ["Gifbox__Tenor__Key"] = key,
        }, _folder.Path);

    private async Task<WebApplication> StartProviderAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            _providerRequests.Enqueue(context.Request.Path + context.Request.QueryString);
            await next(context);
        });
        app.MapGet("/v2/search", (string q) => Results.Json(Page($"search-{q}")));
        app.MapGet("/v2/featured", () => Results.Json(Page("featured")));
        app.MapGet("/v2/categories", () => Results.Json(new
        {
            locale = "en",
            tags = new[] { new { searchterm = "wave", path = "/v2/search?q=wave", image = "https://media.example/wave.gif", name = "#wave" } },
        }));
        await app.StartAsync();
        return app;
    }

    private static object Page(string id) => new
    {
        results = new[]
        {
            new
            {
                created = 1.5, hasaudio = false, id, tags = Array.Empty<string>(), title = "", content_description = "a gif",
                itemurl = $"https://tenor.example/view/{id}", flags = Array.Empty<string>(), url = $"https://tenor.example/{id}",
                media_formats = new Dictionary<string, object>
                {
                    ["webm"] = new { url = $"https://media.example/{id}.webm", dims = new[] { 498, 280 }, duration = 1.2, size = 1000 },
                    ["tinywebm"] = new { url = $"https://media.example/{id}-tiny.webm", dims = new[] { 220, 124 }, duration = 1.2, size = 100 },
                },
            },
        },
        next = "12",
    };

    private static async Task<WebApplication> StartSessionsAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        var app = builder.Build();
        app.MapGrpcService<TokenSessions>();
        await app.StartAsync();
        return app;
    }

    private sealed class TokenSessions : Sessions.SessionsBase
    {
        public override Task<AuthenticateReply> Authenticate(AuthenticateRequest request, ServerCallContext context)
        {
            if (context.RequestHeaders.GetValue(Contracts.Internal.InternalCalls.Header) != InternalKey)
                throw new RpcException(new Status(StatusCode.PermissionDenied, "no internal key"));
            return request.Token.StartsWith("token-", StringComparison.Ordinal)
                ? Task.FromResult(new AuthenticateReply { UserId = request.Token["token-".Length..], SessionId = "session" })
                : throw new RpcException(new Status(StatusCode.NotFound, "unknown token"));
        }
    }

    public async Task DisposeAsync()
    {
        await Task.WhenAll(_gifbox.StopAsync(), _keyless.StopAsync());
        await _provider.DisposeAsync();
        await _api.DisposeAsync();
        await Redis.DisposeAsync();
        Http.Dispose();
        _folder.Dispose();
    }
}
